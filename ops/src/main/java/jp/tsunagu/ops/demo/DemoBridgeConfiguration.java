package jp.tsunagu.ops.demo;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.boot.ApplicationArguments;
import org.springframework.boot.ApplicationRunner;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Profile;
import org.springframework.core.Ordered;
import org.springframework.core.env.Environment;

import jp.tsunagu.bridge.link.LinkHandler;
import jp.tsunagu.chat.handler.RoomHandler;
import jp.tsunagu.chat.identity.CareUser;
import jp.tsunagu.chat.identity.Profession;
import jp.tsunagu.chat.support.ApiException;
import jp.tsunagu.connectors.mcs.simulator.McsSimulator;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;

/**
 * The demo's external SNS: an MCS-style simulator on its own port, with two projects mirroring two demo
 * residents' rooms, linked through the bridge, and a pharmacist and a day-service counsellor there who post
 * now and then, so bridging shows live from the first run.
 */
@Configuration(proxyBeanMethods = false)
@Profile("demo")
@ConditionalOnProperty(name = "tsunagu.demo.simulator.enabled", havingValue = "true")
public class DemoBridgeConfiguration {

    static final String CLIENT_ID = "tsunagu-demo";
    static final String INSTANCE = "mcs-demo";
    /** The demo residents whose rooms are mirrored in the simulator (their external resident ids). */
    static final List<String> MIRRORED = List.of("TONE-000123", "TONE-000318");

    /** Short notes the external people post, as such notes read in MCS. */
    private static final List<String> NOTES = List.of(
            "本日のお薬、セットしました。残薬は確認済みです。",
            "デイサービスでの入浴、問題なく終えられました。",
            "昼食は7割摂取。水分はお茶を500ml程度です。",
            "血圧 134/76、体温 36.4℃。表情穏やかでした。",
            "次回の訪問は木曜 14時の予定です。",
            "便秘気味とのこと。酸化マグネシウムの調整を先生にご相談ください。",
            "送迎時、足元のふらつきが少しありました。転倒に注意します。",
            "ご家族より、週末は長女様が来られるとの連絡がありました。");

    @Bean(destroyMethod = "close")
    McsSimulator demoMcsSimulator(Environment env) {
        McsSimulator sns = new McsSimulator().start(env.getProperty("tsunagu.demo.simulator.port", Integer.class, 8089));
        sns.addStation("st-aoba", "あおば調剤薬局 加須駅前店");
        sns.addStation("st-himawari", "デイサービスひまわり");
        sns.addUser("mcs-ph-ogawa", "小川", "純", "st-aoba", "薬剤師");
        sns.addUser("mcs-sw-mori", "森", "明美", "st-himawari", "介護福祉士");
        sns.addClient(CLIENT_ID, env.getProperty("tsunagu.demo.simulator.client-secret", "demo-secret"));
        for (String resident : MIRRORED) {
            String project = sns.createProject("patient", resident + " 様 タイムライン", resident);
            sns.addMember(project, CLIENT_ID);
            sns.addMember(project, "mcs-ph-ogawa");
            sns.addMember(project, "mcs-sw-mori");
            sns.postAs("mcs-sw-mori", project, "デイサービスの利用、今週は火・金です。");
        }
        return sns;
    }

    @Bean
    DemoBridge demoBridge(McsSimulator sns, LinkHandler links, Environment env) {
        return new DemoBridge(sns, links, env.getProperty("tsunagu.demo.simulator.post-every", Duration.class, Duration.ofSeconds(45)));
    }

    /** Links the mirrored rooms once the demo data is there, then keeps the external people talking. */
    static final class DemoBridge implements ApplicationRunner, Ordered, DisposableBean {

        private static final Logger log = LoggerFactory.getLogger(DemoBridge.class);
        private static final CareUser OPERATOR = new CareUser("demo-bridge-operator", "デモ連携設定", Profession.MEDICAL_SOCIAL_WORKER,
                null, null, Set.of(CareUser.SYSTEM_ADMIN));

        private final McsSimulator sns;
        private final LinkHandler links;
        private final Duration every;
        private Disposable chatter;

        DemoBridge(McsSimulator sns, LinkHandler links, Duration every) {
            this.sns = sns;
            this.links = links;
            this.every = every;
        }

        @Override
        public int getOrder() {
            return DemoDataLoader.ORDER + 1;
        }

        @Override
        public void run(ApplicationArguments args) {
            var projects = sns.projects();
            for (var project : projects) {
                String roomId = RoomHandler.patientRoomId(project.patientId());
                links.link(OPERATOR, new LinkHandler.LinkRequest(roomId, INSTANCE, project.id(), 20))
                        .doOnNext(l -> log.info("demo bridge: room {} linked to MCS project {}", roomId, project.id()))
                        .onErrorResume(ApiException.class, e -> {
                            log.info("demo bridge: room {} not linked again: {}", roomId, e.getMessage());
                            return reactor.core.publisher.Mono.empty();
                        })
                        .block(Duration.ofSeconds(30));
            }
            AtomicInteger n = new AtomicInteger();
            List<String> people = List.of("mcs-ph-ogawa", "mcs-sw-mori");
            chatter = Flux.interval(every, every).subscribe(tick -> {
                var project = projects.get(ThreadLocalRandom.current().nextInt(projects.size()));
                sns.postAs(people.get(n.getAndIncrement() % people.size()), project.id(),
                        NOTES.get(ThreadLocalRandom.current().nextInt(NOTES.size())));
            });
        }

        @Override
        public void destroy() {
            if (chatter != null) {
                chatter.dispose();
            }
        }
    }
}
