package jp.tsunagu.connectors.support;

import java.time.Duration;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class ResilienceChainTests {

    @Test
    void nodesSharingAnAccountTakeEachTheirShareOfItsRateRoundedDownAndAtLeastOne() {
        ResilienceChain chain = new ResilienceChain("share", 3, 10, Duration.ofSeconds(5), 4);
        assertThat(chain.rateLimit()).isEqualTo(10);
        chain.shareRate(3);
        assertThat(chain.rateLimit()).as("3 × 3 stays within 10").isEqualTo(3);
        chain.shareRate(20);
        assertThat(chain.rateLimit()).isEqualTo(1);
        chain.shareRate(1);
        assertThat(chain.rateLimit()).as("alone again: the whole limit").isEqualTo(10);
    }
}
