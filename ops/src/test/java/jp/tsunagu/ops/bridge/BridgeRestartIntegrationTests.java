package jp.tsunagu.ops.bridge;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

import jp.tsunagu.bridge.link.LinkHandler;
import jp.tsunagu.chat.api.Requests;
import jp.tsunagu.chat.handler.MessageHandler;
import jp.tsunagu.chat.handler.RoomHandler;
import jp.tsunagu.chat.identity.CareUser;
import jp.tsunagu.chat.identity.Profession;
import jp.tsunagu.chat.message.Message;
import jp.tsunagu.chat.message.MessageStore;
import jp.tsunagu.connectors.mcs.simulator.McsSimulator;
import jp.tsunagu.ops.TsunaguApplication;
import jp.tsunagu.ops.support.TestIssuerConfiguration;
import reactor.core.publisher.Flux;

/**
 * The server stops in the middle of bridging both ways, with a post to the SNS in flight whose answer never
 * comes, and starts again over the same data (the embedded default on disk): afterwards every message is on
 * both sides exactly once, in order. Schedules run for real (short periods), as in production.
 */
class BridgeRestartIntegrationTests {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final Pattern LOCAL = Pattern.compile("ローカル(\\d+)");
    private static final Pattern THEIRS = Pattern.compile("外部(\\d+)");
    private static final int LOCAL_POSTS = 120;
    private static final int EXTERNAL_POSTS = 40;

    @TempDir
    Path data;

    @Test
    void nothingIsLostOrDuplicatedEitherWayAcrossARestartMidStream() throws Exception {
        try (McsSimulator sns = new McsSimulator().start(0)) {
            sns.rateLimit(0);
            sns.addStation("st-vns", "ひかり訪問看護ステーション");
            sns.addUser("ns-sato", "佐藤", "由美", "st-vns", "看護師");
            sns.addClient("tsunagu-restart", "s3cret");
            String pid = sns.createProject("patient", "山田 花子 様");
            sns.addMember(pid, "tsunagu-restart");
            sns.addMember(pid, "ns-sato");
            CareUser cm = new CareUser("cm-restart", "鈴木 和子", Profession.CARE_MANAGER, "fac-cm", "つばさ", Set.of());
            CareUser admin = new CareUser("it-restart", "運用担当", Profession.CARE_MANAGER, null, null,
                    Set.of(CareUser.SYSTEM_ADMIN));

            String roomId;
            try (ConfigurableApplicationContext first = start(sns)) {
                roomId = first.getBean(RoomHandler.class)
                        .create(cm, new Requests.CreateRoom("group", "山田さんチーム", null, List.of())).block(WAIT)
                        .room().room().id();
                first.getBean(LinkHandler.class).link(admin, new LinkHandler.LinkRequest(roomId, "mcs-restart", pid, 0))
                        .block(WAIT);
                // A slow SNS (0.1 s per call) keeps the bridge behind the posts, so the stop below is mid-stream
                // however fast the machine is.
                sns.delayNext(100_000, Duration.ofMillis(100));
                MessageHandler messages = first.getBean(MessageHandler.class);
                String room = roomId;
                Thread external = new Thread(() -> {
                    for (int i = 0; i < EXTERNAL_POSTS; i++) {
                        sns.postAs("ns-sato", pid, "外部" + i);
                        sleep(20);
                    }
                });
                external.start();
                Flux.range(0, LOCAL_POSTS).concatMap(i -> messages.post(cm, room,
                        new Requests.PostMessage("ローカル" + i, null, null, null, null, null), "restart-" + i)
                        .delayElement(Duration.ofMillis(10))).blockLast(WAIT);
                external.join();
                // Stop while things are still moving, with one post taken by the SNS whose answer never arrives.
                long deadline = System.nanoTime() + WAIT.toNanos();
                while (countBridged(sns, pid) < LOCAL_POSTS / 6 && System.nanoTime() < deadline) {
                    sleep(20);
                }
                sns.delayNext(1, Duration.ofSeconds(5));
                sleep(300);
            }
            // Not asserted: a drain already running when the server stops finishes its turn while the context
            // closes, so on a quiet machine the SNS may hold every post by now; the in-flight post with the lost
            // answer is there either way, and the checks below hold in both cases.
            System.out.println("bridged before the restart: " + countBridged(sns, pid) + " of " + LOCAL_POSTS);
            sns.clearFaults();

            try (ConfigurableApplicationContext second = start(sns)) {
                MessageStore store = second.getBean(MessageStore.class);
                long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
                while (System.nanoTime() < deadline && (countBridged(sns, pid) < LOCAL_POSTS
                        || store.page(roomId, null, 500).count().block(WAIT) < LOCAL_POSTS + EXTERNAL_POSTS)) {
                    sleep(100);
                }
                sleep(1_500); // a little longer: a second copy anywhere would show up now

                List<String> there = sns.messages(pid).stream().map(McsSimulator.Message::body).toList();
                assertThat(numbers(there, LOCAL)).as("local posts in the SNS").isEqualTo(range(LOCAL_POSTS));
                assertThat(numbers(there, THEIRS)).as("external posts in the SNS").isEqualTo(range(EXTERNAL_POSTS));

                List<Message> here = new ArrayList<>(store.page(roomId, null, 500).collectList().block(WAIT));
                here.sort(java.util.Comparator.comparingLong(Message::seq));
                List<String> texts = here.stream().map(Message::text).toList();
                assertThat(numbers(texts, THEIRS)).as("external posts in the room").isEqualTo(range(EXTERNAL_POSTS));
                assertThat(numbers(texts, LOCAL)).as("local posts in the room").isEqualTo(range(LOCAL_POSTS));
            }
        }
    }

    private ConfigurableApplicationContext start(McsSimulator sns) {
        return new SpringApplicationBuilder(TsunaguApplication.class, TestIssuerConfiguration.class).run(
                "--server.port=0", "--spring.main.banner-mode=off", "--tsunagu.embedded-mongo.data-dir=" + data,
                "--tsunagu.bridge.poll-period=200ms", "--tsunagu.bridge.outbound.tick=100ms",
                "--tsunagu.bridge.outbound.retry-steps=1s",
                "--tsunagu.bridge.mcs.instances[0].id=mcs-restart",
                "--tsunagu.bridge.mcs.instances[0].base-url=" + sns.baseUrl(),
                "--tsunagu.bridge.mcs.instances[0].token-url=" + sns.tokenUrl(),
                "--tsunagu.bridge.mcs.instances[0].client-id=tsunagu-restart",
                "--tsunagu.bridge.mcs.instances[0].client-secret=s3cret",
                "--tsunagu.bridge.mcs.instances[0].requests-per-second=1000");
    }

    private static int countBridged(McsSimulator sns, String pid) {
        return (int) sns.messages(pid).stream().filter(m -> LOCAL.matcher(m.body()).find()).count();
    }

    /** The numbers in the order they appear; a duplicate or a gap shows as a difference from 0..n-1. */
    private static List<Integer> numbers(List<String> texts, Pattern p) {
        List<Integer> out = new ArrayList<>();
        for (String t : texts) {
            Matcher m = p.matcher(t);
            if (m.find()) {
                out.add(Integer.parseInt(m.group(1)));
            }
        }
        return out;
    }

    private static List<Integer> range(int n) {
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(i);
        }
        return out;
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
