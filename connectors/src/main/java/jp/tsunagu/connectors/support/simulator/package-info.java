/**
 * What the in-process simulators of external systems (the MCS-style SNS, the FHIR server) share: their own
 * Reactor Netty server, OAuth2 client-credentials tokens, canned replies and one-shot faults. For tests,
 * benchmarks and the demo; nothing here is used to talk to a real system.
 */
package jp.tsunagu.connectors.support.simulator;
