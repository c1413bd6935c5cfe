package jp.tsunagu.chat.support;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Map;

import org.bson.Document;
import org.bson.types.ObjectId;
import org.springframework.dao.DataIntegrityViolationException;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.data.mongodb.core.MongoExceptionTranslator;
import org.springframework.data.mongodb.core.ReactiveMongoTemplate;

import com.mongodb.MongoBulkWriteException;
import com.mongodb.bulk.BulkWriteError;
import com.mongodb.client.model.BulkWriteOptions;
import com.mongodb.client.model.WriteModel;

import reactor.core.publisher.Mono;

/**
 * The database side of {@link GroupCommit} (a batch as one unordered bulk write, and each write's own error) and of
 * {@link GroupRead} (a batch of ids as one {@code $in} query).
 */
public final class MongoBatches {

    /** MongoDB's code for a duplicate key. */
    private static final int DUPLICATE_KEY = 11000;

    /** The translation the template applies to a single write's failure. */
    private static final MongoExceptionTranslator TRANSLATOR = new MongoExceptionTranslator();

    private MongoBatches() {
    }

    /**
     * Writes the models in one command, unordered (one write's error does not stop the others: they belong to
     * different posts). Answers one error or null per model, in order, as {@link GroupCommit} wants: a duplicate
     * key as Spring's {@link DuplicateKeyException} (what a single insert through the template raised), another
     * write error as a {@link DataIntegrityViolationException}; a failure of the whole command as the template
     * translates it.
     */
    public static Mono<List<Throwable>> bulkWrite(ReactiveMongoTemplate mongo, String collection,
                                                  List<? extends WriteModel<Document>> models) {
        return mongo.getCollection(collection)
                .flatMap(c -> Mono.from(c.bulkWrite(models, new BulkWriteOptions().ordered(false))))
                .map(done -> Collections.<Throwable>nCopies(models.size(), null))
                .onErrorResume(MongoBulkWriteException.class, e -> Mono.just(errors(models.size(), e)))
                .onErrorMap(RuntimeException.class, e -> {
                    RuntimeException translated = TRANSLATOR.translateExceptionIfPossible(e);
                    return translated == null ? e : translated;
                });
    }

    /**
     * The documents of {@code collection} with these ids, by id as a string: one {@code _id $in} query, the ids as
     * the template's queries have them ({@link #mongoId}).
     */
    public static Mono<Map<String, Document>> findByIds(ReactiveMongoTemplate mongo, String collection,
                                                      Collection<String> ids) {
        return mongo.getCollection(collection)
                .flatMapMany(c -> c.find(new Document("_id", new Document("$in",
                        ids.stream().map(MongoBatches::mongoId).toList()))))
                .collectMap(d -> String.valueOf(d.get("_id")));
    }

    /** A String id as Spring Data stores it: as an ObjectId when it is one in hex, else as the string. */
    public static Object mongoId(String id) {
        return ObjectId.isValid(id) ? new ObjectId(id) : id;
    }

    private static List<Throwable> errors(int size, MongoBulkWriteException e) {
        List<Throwable> errors = new ArrayList<>(Collections.nCopies(size, null));
        for (BulkWriteError error : e.getWriteErrors()) {
            errors.set(error.getIndex(), error.getCode() == DUPLICATE_KEY
                    ? new DuplicateKeyException(error.getMessage())
                    : new DataIntegrityViolationException(error.getMessage()));
        }
        // A write concern error concerns every write of the command.
        if (e.getWriteConcernError() != null) {
            for (int i = 0; i < size; i++) {
                if (errors.get(i) == null) {
                    errors.set(i, new DataIntegrityViolationException(e.getWriteConcernError().getMessage()));
                }
            }
        }
        return errors;
    }
}
