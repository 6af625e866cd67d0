package org.fx4j.models;

import java.util.List;
import java.util.stream.Collectors;

/**
 * The models the per-model tests run on: every registered model, or those whose names match the
 * regular expression in the system property {@code fx4j.models} ({@code -Dfx4j.models='convnext.*'}).
 */
final class ModelSelection {

    private ModelSelection() {}

    static List<String> models() {
        String pattern = System.getProperty("fx4j.models", "").trim();
        if (pattern.isEmpty()) {
            return ModelRegistry.names();
        }
        List<String> chosen = ModelRegistry.names().stream().filter(n -> n.matches(pattern)).collect(Collectors.toList());
        if (chosen.isEmpty()) {
            throw new IllegalArgumentException("-Dfx4j.models=" + pattern + " matches no registered model: "
                    + ModelRegistry.names());
        }
        return chosen;
    }
}
