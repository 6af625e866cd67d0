package org.fx4j.fx;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Names nodes as torchvision's feature-extraction tracer ({@code NodePathTracer}) does: the module
 * path, plus the op name for non-module nodes, with {@code _N} suffixes counted among the nodes of
 * the same qualified name; and gives each node a graph-unique identifier for printed code.
 */
final class NodeNamer {

    private static final Pattern TRAILING_INDEX = Pattern.compile(".+_[0-9]+");

    private final List<String> qualifiedNames = new ArrayList<>();
    private final Set<String> usedNames = new HashSet<>();

    /**
     * torchvision's {@code NodePathTracer._get_node_qualname}, which also records the name.
     *
     * @param op the node's op
     * @param currentPath the path of the module whose forward records the node
     * @param baseName the module path for module calls, else the op name
     * @return the qualified name
     */
    String qualify(NodeOp op, String currentPath, String baseName) {
        String q;
        if (op == NodeOp.CALL_MODULE) {
            q = baseName;
        } else {
            q = currentPath.isEmpty() ? baseName : currentPath + "." + baseName;
        }
        if (TRAILING_INDEX.matcher(q).matches()) {
            q = q.substring(0, q.lastIndexOf('_'));
        }
        String result = q;
        // torchvision matches rf"{q}(_[0-9]+)?$" with q unescaped, so its dots match any character.
        StringBuilder regex = new StringBuilder();
        for (String part : q.split("\\.", -1)) {
            if (regex.length() > 0) {
                regex.append('.');
            }
            regex.append(Pattern.quote(part));
        }
        Pattern same = Pattern.compile(regex + "(_[0-9]+)?");
        for (int i = qualifiedNames.size() - 1; i >= 0; i--) {
            String existing = qualifiedNames.get(i);
            if (same.matcher(existing).matches()) {
                String postfix = existing.replace(q, "");
                int next = postfix.isEmpty() ? 1 : Integer.parseInt(postfix.substring(1)) + 1;
                result = q + "_" + next;
                break;
            }
        }
        qualifiedNames.add(result);
        return result;
    }

    /**
     * A graph-unique identifier derived from {@code base}.
     *
     * @param base the wanted name
     * @return the name, suffixed if taken
     */
    String uniqueName(String base) {
        String name = base.isEmpty() ? "_" : base.replace('.', '_');
        if (Character.isDigit(name.charAt(0))) {
            name = "_" + name;
        }
        String candidate = name;
        for (int i = 1; !usedNames.add(candidate); i++) {
            candidate = name + "_" + i;
        }
        return candidate;
    }

    /**
     * Forgets a node that was recorded and then dropped (an opaque DJL function kept whole).
     *
     * @param node the node
     */
    void forget(Node node) {
        if (node.isListed()) {
            qualifiedNames.remove(qualifiedNames.size() - 1);
        }
        usedNames.remove(node.name());
    }
}
