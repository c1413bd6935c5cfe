package jp.tsunagu.chat.config;

import java.nio.file.Path;
import java.time.Duration;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.util.unit.DataSize;

/**
 * Tuning of the chat server ({@code tsunagu.chat.*}).
 *
 * @param maxUploadSize largest photo or file; 20 MB holds a full-resolution phone photo or a scanned
 *                      document (the default)
 * @param uploadWorkDir where uploads wait while they are checked; defaults to the system temp folder
 * @param heartbeat how often idle streams get a heartbeat; 25 s stays under the 30–60 s idle timeouts of
 *                  common proxies and mobile carriers
 * @param sendQueue per-connection send queue length (see {@code StreamConnection})
 * @param hubs fan-out threads; 0 means 2 × available processors
 * @param roomQueueLimit changes a room may have waiting for their turn (posts, edits, deletes, stamps, reads);
 *                       beyond it a client's change is refused with 429 and {@code Retry-After}. 64 is about
 *                       a quarter of a second of a busy room's turns on a small server; 0 means no limit
 * @param roomBusyRetryAfter the {@code Retry-After} of that refusal
 */
@ConfigurationProperties("tsunagu.chat")
public record ChatProperties(DataSize maxUploadSize, Path uploadWorkDir, Duration heartbeat, Integer sendQueue,
                             Integer hubs, Integer roomQueueLimit, Duration roomBusyRetryAfter) {

    public ChatProperties {
        maxUploadSize = maxUploadSize == null ? DataSize.ofMegabytes(20) : maxUploadSize;
        uploadWorkDir = uploadWorkDir == null ? Path.of(System.getProperty("java.io.tmpdir"), "tsunagu-uploads") : uploadWorkDir;
        heartbeat = heartbeat == null ? Duration.ofSeconds(25) : heartbeat;
        sendQueue = sendQueue == null ? 256 : sendQueue;
        hubs = hubs == null || hubs <= 0 ? 2 * Runtime.getRuntime().availableProcessors() : hubs;
        roomQueueLimit = roomQueueLimit == null ? 64 : roomQueueLimit <= 0 ? Integer.MAX_VALUE : roomQueueLimit;
        roomBusyRetryAfter = roomBusyRetryAfter == null ? Duration.ofSeconds(1) : roomBusyRetryAfter;
    }
}
