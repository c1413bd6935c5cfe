package jp.tsunagu.ops.realtime;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * What a test client received on a stream, read with bounded waits: JSON events in arrival order, then the
 * end of the stream or its error. Heartbeats are left out (they come at any time); {@link #heartbeats()}
 * counts them.
 */
final class EventInbox {

    static final Duration WAIT = Duration.ofSeconds(15);
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final Object END = new Object();

    private final BlockingQueue<Object> queue = new LinkedBlockingQueue<>();
    private volatile int heartbeats;

    /** A JSON frame; {@code id} is the SSE id, or null. */
    record Event(JsonNode json, String id) {

        String type() {
            return json.path("type").asString();
        }

        long seq() {
            return json.path("seq").asLong(-1);
        }

        String messageId() {
            return json.path("message").path("id").asString(null);
        }

        @Override
        public String toString() {
            return json + (id == null ? "" : " id=" + id);
        }
    }

    void received(String json, String id) {
        if (json == null || json.contains("\"type\":\"heartbeat\"")) {
            heartbeats++;
            return;
        }
        queue.add(new Event(JSON.readTree(json), id));
    }

    void ended() {
        queue.add(END);
    }

    void failed(Throwable error) {
        queue.add(error);
    }

    int heartbeats() {
        return heartbeats;
    }

    /** The next event; fails on timeout, end or error. */
    Event next() {
        Object o = poll(WAIT);
        if (o instanceof Event e) {
            return e;
        }
        return fail("expected an event but got " + describe(o));
    }

    /** The next event, which must be of this type. */
    Event next(String type) {
        Event e = next();
        assertThat(e.type()).as("type of %s", e).isEqualTo(type);
        return e;
    }

    /** The next {@code n} events. */
    List<Event> next(int n) {
        List<Event> events = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            events.add(next());
        }
        return events;
    }

    /** Events up to and including the first that matches. */
    List<Event> until(Predicate<Event> last) {
        List<Event> events = new ArrayList<>();
        while (true) {
            Event e = next();
            events.add(e);
            if (last.test(e)) {
                return events;
            }
        }
    }

    /** The events left before the stream ends or fails (a server that goes away may do either). */
    List<Event> restUntilClosed() {
        List<Event> events = new ArrayList<>();
        while (true) {
            Object o = poll(WAIT);
            if (o instanceof Event e) {
                events.add(e);
            } else if (o == END || o instanceof Throwable) {
                return events;
            } else {
                return fail("expected the stream to end but got " + describe(o));
            }
        }
    }

    /** The stream ends normally, with no further event. */
    void expectEnd() {
        Object o = poll(WAIT);
        if (o != END) {
            fail("expected the end of the stream but got " + describe(o));
        }
    }

    /** The stream fails; returns its error. */
    Throwable expectError() {
        Object o = poll(WAIT);
        if (o instanceof Throwable t) {
            return t;
        }
        return fail("expected an error but got " + describe(o));
    }

    /** Nothing but heartbeats arrives for a while (for "must not receive" checks that follow a later event). */
    boolean isEmpty() {
        return queue.isEmpty();
    }

    private Object poll(Duration wait) {
        try {
            Object o = queue.poll(wait.toMillis(), TimeUnit.MILLISECONDS);
            return o == null ? "nothing within " + wait : o;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static String describe(Object o) {
        if (o == END) {
            return "the end of the stream";
        }
        if (o instanceof Throwable t) {
            return "error " + t;
        }
        return String.valueOf(o);
    }
}
