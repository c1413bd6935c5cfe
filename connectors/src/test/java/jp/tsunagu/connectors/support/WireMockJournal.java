package jp.tsunagu.connectors.support;

import java.time.Duration;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.matching.RequestPatternBuilder;

/** Counting requests in a WireMock server's journal. */
public final class WireMockJournal {

    private WireMockJournal() {
    }

    /**
     * WireMock journals a request after answering it, so the client can finish first: wait (bounded) for the
     * journal to catch up, then verify exactly {@code count}.
     */
    public static void journaled(WireMockServer server, int count, RequestPatternBuilder pattern) {
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (server.findAll(pattern).size() < count && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        server.verify(count, pattern);
    }
}
