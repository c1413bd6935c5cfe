package jp.tsunagu.ops.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;

/** Ports for servers a test starts beside the one under test (a second node, the demo's simulators). */
public final class Ports {

    private Ports() {
    }

    /** A port free on this machine now (the OS's pick; taken again only if something else grabs it first). */
    public static int free() {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
