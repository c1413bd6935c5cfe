package jp.tsunagu.connectors.support.simulator;

import java.time.Duration;
import java.util.function.Consumer;

import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServer;
import reactor.netty.http.server.HttpServerRoutes;
import reactor.netty.resources.LoopResources;

/** A simulator's HTTP server on 127.0.0.1, on event loops of its own. */
public final class SimServer {

    private final String name;
    private volatile DisposableServer server;
    private volatile LoopResources loops;

    /** @param name names the event-loop threads */
    public SimServer(String name) {
        this.name = name;
    }

    /** Binds 127.0.0.1:{@code port} (0 for a free port) and serves {@code routes} until {@link #close()}. */
    public synchronized void start(int port, Consumer<HttpServerRoutes> routes) {
        if (server != null) {
            throw new IllegalStateException("already started on port " + server.port());
        }
        // Its own event loops: the shared Reactor Netty resources belong to whatever application runs in the same
        // JVM, and that application disposes them when it stops (a server restarted in a test would find the
        // simulated system gone with it).
        loops = LoopResources.create(name, 2, true);
        server = HttpServer.create()
                .runOn(loops)
                .host("127.0.0.1")
                .port(port)
                .route(routes)
                .bindNow(Duration.ofSeconds(10));
    }

    public int port() {
        DisposableServer s = server;
        if (s == null) {
            throw new IllegalStateException("not started");
        }
        return s.port();
    }

    /** {@code http://127.0.0.1:<port>}. */
    public String baseUrl() {
        return "http://127.0.0.1:" + port();
    }

    public synchronized void close() {
        DisposableServer s = server;
        server = null;
        if (s != null) {
            s.disposeNow(Duration.ofSeconds(5));
        }
        LoopResources l = loops;
        loops = null;
        if (l != null) {
            l.disposeLater(Duration.ZERO, Duration.ofSeconds(5)).block(Duration.ofSeconds(6));
        }
    }
}
