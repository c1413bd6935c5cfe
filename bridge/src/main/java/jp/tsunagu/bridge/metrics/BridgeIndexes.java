package jp.tsunagu.bridge.metrics;

import java.time.Duration;
import java.util.List;

import org.springframework.beans.factory.InitializingBean;
import org.springframework.data.domain.Sort;
import org.springframework.data.mongodb.core.ReactiveMongoTemplate;
import org.springframework.data.mongodb.core.index.Index;
import reactor.core.publisher.Flux;

import jp.tsunagu.chat.message.Message;

/**
 * The index the outbound backlog count needs ({@link BridgeBacklogProbe}, every sweep on every node): one per
 * configured connector instance on {@code delivery.<instance>.state}, sparse because only messages of rooms
 * linked to that instance carry it. Without it each count would scan every message.
 */
public final class BridgeIndexes implements InitializingBean {

    /** As chat's MongoIndexes: an index build should fail the start loudly, not hang it. */
    private static final Duration TIMEOUT = Duration.ofMinutes(2);

    private final ReactiveMongoTemplate mongo;
    private final List<String> instances;

    public BridgeIndexes(ReactiveMongoTemplate mongo, List<String> instances) {
        this.mongo = mongo;
        this.instances = List.copyOf(instances);
    }

    @Override
    public void afterPropertiesSet() {
        Flux.fromIterable(instances)
                .concatMap(instance -> mongo.indexOps(Message.class)
                        .createIndex(new Index().on("delivery." + instance + ".state", Sort.Direction.ASC).sparse()))
                .then().block(TIMEOUT);
    }
}
