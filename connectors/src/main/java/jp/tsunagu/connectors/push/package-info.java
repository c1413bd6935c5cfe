/**
 * Web Push delivery (RFC 8030), payloads encrypted for the browser (RFC 8291, aes128gcm) and signed for the push
 * service (RFC 8292, VAPID), with {@code zerodep-web-push-java} doing the cryptography and Reactor Netty the HTTP.
 * What to send and to whom is decided in {@code chat}; this package only delivers one message to one device and
 * says how it went.
 */
package jp.tsunagu.connectors.push;
