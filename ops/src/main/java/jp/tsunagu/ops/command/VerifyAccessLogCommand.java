package jp.tsunagu.ops.command;

import java.time.Duration;

import jp.tsunagu.chat.audit.AccessLog;
import org.springframework.boot.ApplicationArguments;
import org.springframework.boot.ApplicationRunner;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.ExitCodeGenerator;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.stereotype.Component;

/**
 * {@code ops/bin/verify-access-log}: checks the access log's hash chain against the configured database and
 * prints the outcome; the exit code is 0 for an intact chain, 2 for a broken one (the first entry that does not
 * hold is printed). Started on a free port by the script; it serves nothing and stops when done.
 */
@Component
@ConditionalOnProperty(name = "tsunagu.command", havingValue = "verify-access-log")
public class VerifyAccessLogCommand implements ApplicationRunner, ExitCodeGenerator {

    /** Walking millions of entries takes a while; an hour bounds a stuck database, not a large log. */
    private static final Duration TIMEOUT = Duration.ofHours(1);

    private final AccessLog log;
    private final ConfigurableApplicationContext context;
    private int exitCode = 1;

    public VerifyAccessLogCommand(AccessLog log, ConfigurableApplicationContext context) {
        this.log = log;
        this.context = context;
    }

    @Override
    public void run(ApplicationArguments args) {
        AccessLog.Verification v = log.verify().block(TIMEOUT);
        if (v.intact()) {
            System.out.println("access log intact: " + v.entries() + " entries, every hash and link holds");
            exitCode = 0;
        } else {
            System.out.println("access log BROKEN at entry " + v.firstBadSeq() + ": " + v.problem()
                    + " (" + v.entries() + " entries checked)");
            exitCode = 2;
        }
        // The database client and the embedded server keep threads alive: a command ends the process itself.
        System.exit(SpringApplication.exit(context, this));
    }

    @Override
    public int getExitCode() {
        return exitCode;
    }
}
