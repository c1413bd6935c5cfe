package jp.tsunagu.ops;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.annotation.Import;

import jp.tsunagu.bridge.config.BridgeConfiguration;
import jp.tsunagu.chat.config.ChatConfiguration;

/**
 * The Tsunagu server: care rooms, the API and real-time streams, and the bridge to external SNS, on the embedded
 * or a given MongoDB.
 */
@SpringBootApplication
@Import({ChatConfiguration.class, BridgeConfiguration.class})
public class TsunaguApplication {

    public static void main(String[] args) {
        SpringApplication.run(TsunaguApplication.class, args);
    }
}
