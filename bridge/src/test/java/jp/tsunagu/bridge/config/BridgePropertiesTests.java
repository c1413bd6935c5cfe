package jp.tsunagu.bridge.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.springframework.util.unit.DataSize;

import jp.tsunagu.connectors.webhook.WebhookSecret;

/** Start-up checks of {@code tsunagu.bridge.*}: each refusal names the property and never shows a secret. */
class BridgePropertiesTests {

    private static final String SECRET = secret(7);
    private static final String OLD = secret(8);

    private static String secret(int seed) {
        byte[] key = new byte[32];
        Arrays.fill(key, (byte) seed);
        return WebhookSecret.ofKey(key).serialize();
    }

    private static BridgeProperties withWebhook(BridgeProperties.WebhookInstance instance) {
        return new BridgeProperties(null, null, null, null, new BridgeProperties.Webhook(List.of(instance)), null, null);
    }

    private static BridgeProperties.WebhookInstance webhook(String url, List<String> secrets, String sendSecret,
                                                            Map<String, String> stations) {
        return new BridgeProperties.WebhookInstance("care-sns", url == null ? null : URI.create(url), secrets,
                sendSecret, null, stations);
    }

    @Test
    void defaults() {
        BridgeProperties p = new BridgeProperties(null, null, null, null, null, null, null);
        assertThat(p.attachmentMaxBytes()).isEqualTo(DataSize.ofMegabytes(20));
        assertThat(p.mcs().instances()).isEmpty();
        assertThat(p.webhook().instances()).isEmpty();
    }

    @Test
    void aWebhookInstanceWithTwoSecretsAndMappings() {
        BridgeProperties p = withWebhook(webhook("https://sns.example/hooks", List.of(SECRET, OLD), SECRET,
                Map.of("st-9", "fac-tone-vns")));
        BridgeProperties.WebhookInstance i = p.webhook().instances().get(0);
        assertThat(i.receiveKeys().accepted()).hasSize(2);
        assertThat(p.mappings().get("care-sns").stations()).containsEntry("st-9", "fac-tone-vns");
    }

    @Test
    void badWebhookSettingsStopTheStartNamingTheProperty() {
        String prefix = "tsunagu.bridge.webhook.instances[0]";
        assertThatThrownBy(() -> withWebhook(webhook(null, List.of(SECRET), SECRET, null)))
                .hasMessage(prefix + ".url is required");
        assertThatThrownBy(() -> withWebhook(webhook("ftp://sns.example/x", List.of(SECRET), SECRET, null)))
                .hasMessage(prefix + ".url must be an absolute http or https URL");
        assertThatThrownBy(() -> withWebhook(webhook("https://sns.example", List.of(), SECRET, null)))
                .hasMessageContaining(prefix + ".secrets must hold one secret");
        assertThatThrownBy(() -> withWebhook(webhook("https://sns.example", List.of(SECRET, OLD, SECRET), SECRET, null)))
                .hasMessageContaining(prefix + ".secrets must hold one secret");
        assertThatThrownBy(() -> withWebhook(webhook("https://sns.example", List.of("whsec_c2hvcnQ="), SECRET, null)))
                .hasMessageStartingWith(prefix + ".secrets[0] is not a valid secret")
                .hasMessageNotContaining("c2hvcnQ");
        assertThatThrownBy(() -> withWebhook(webhook("https://sns.example", List.of(SECRET), null, null)))
                .hasMessage(prefix + ".send-secret is required");
        assertThatThrownBy(() -> withWebhook(webhook("https://sns.example", List.of(SECRET), SECRET,
                Map.of("st-9", "bad id with spaces"))))
                .hasMessageStartingWith(prefix + ".stations[st-9] must be a local id");
    }

    @Test
    void anAttachmentCapBelowOneByteIsRefused() {
        assertThatThrownBy(() -> new BridgeProperties(null, null, DataSize.ofBytes(0), null, null, null, null))
                .hasMessageContaining("tsunagu.bridge.attachment-max-bytes");
    }
}
