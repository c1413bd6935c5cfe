package jp.tsunagu.chat.support;

import java.net.InetAddress;
import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;

/**
 * This server node's name among the nodes sharing one database: in leases (who works a bridge link), logs and
 * metrics. {@code tsunagu.node.id} sets it (a Kubernetes pod name, say); otherwise the host name plus a random
 * suffix, so two processes on one host, or one restarted, are different nodes: a restarted node does not
 * resume a lease its previous life held, which another node may have taken meanwhile.
 */
public record NodeIdentity(String id) {

    public NodeIdentity {
        if (id == null || id.isBlank()) {
            throw new IllegalArgumentException("node id is required");
        }
    }

    public static NodeIdentity of(String configured) {
        if (configured != null && !configured.isBlank()) {
            return new NodeIdentity(configured.trim());
        }
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (Exception e) {
            host = "node";
        }
        return new NodeIdentity(host + "-" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt()));
    }
}
