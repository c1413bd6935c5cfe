package jp.tsunagu.connectors.mcs.simulator;

/**
 * A request the simulated SNS refuses, with the HTTP status it answers over the API (400, 403, 404 ...).
 * The back-door methods of {@link McsSimulator} throw it too when a test sets up something impossible.
 */
public final class SimulatorException extends RuntimeException {

    private final int status;

    public SimulatorException(int status, String message) {
        super(message);
        this.status = status;
    }

    public int status() {
        return status;
    }

    static SimulatorException badRequest(String message) {
        return new SimulatorException(400, message);
    }

    static SimulatorException forbidden(String message) {
        return new SimulatorException(403, message);
    }

    static SimulatorException notFound(String message) {
        return new SimulatorException(404, message);
    }
}
