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
 */
@ConfigurationProperties("tsunagu.chat")
public record ChatProperties(DataSize maxUploadSize, Path uploadWorkDir, Duration heartbeat, Integer sendQueue,
                             Integer hubs) {

    public ChatProperties {
        maxUploadSize = maxUploadSize == null ? DataSize.ofMegabytes(20) : maxUploadSize;
        uploadWorkDir = uploadWorkDir == null ? Path.of(System.getProperty("java.io.tmpdir"), "tsunagu-uploads") : uploadWorkDir;
        heartbeat = heartbeat == null ? Duration.ofSeconds(25) : heartbeat;
        sendQueue = sendQueue == null ? 256 : sendQueue;
        hubs = hubs == null || hubs <= 0 ? 2 * Runtime.getRuntime().availableProcessors() : hubs;
    }
}
