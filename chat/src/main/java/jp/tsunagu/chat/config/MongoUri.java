package jp.tsunagu.chat.config;

import org.springframework.core.env.Environment;

/** Whether a MongoDB is configured by URI ({@code spring.mongodb.uri} or {@code MONGODB_URI}); else the embedded default runs. */
public final class MongoUri {

    private MongoUri() {
    }

    public static boolean isConfigured(Environment env) {
        return !isBlank(env.getProperty("spring.mongodb.uri")) || !isBlank(env.getProperty("MONGODB_URI"));
    }

    private static boolean isBlank(String s) {
        return s == null || s.isBlank();
    }
}
