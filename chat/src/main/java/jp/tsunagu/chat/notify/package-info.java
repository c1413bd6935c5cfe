/**
 * Notifications that reach a closed phone: Web Push subscriptions per device, the server's VAPID keys, and a
 * durable queue of notifications (one document each) that one node per shard sends. Payloads carry ids and a fixed
 * label only, never health data: the push service is a third party (docs/ARCHITECTURE.md, notifications).
 */
package jp.tsunagu.chat.notify;
