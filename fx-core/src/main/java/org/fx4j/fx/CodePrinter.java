package org.fx4j.fx;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;
import org.fx4j.nn.ScalarOp;

/** Prints a {@link Graph} as readable Java-like code, one statement per node. */
final class CodePrinter {

    private CodePrinter() {}

    static String print(Graph graph, String className) {
        StringBuilder b = new StringBuilder();
        b.append("class ").append(className).append(" extends GraphModule {\n");
        StringJoiner params = new StringJoiner(", ");
        for (Node p : graph.placeholders()) {
            params.add("NDArray " + p.name());
        }
        b.append("    NDList forward(").append(params).append(") {\n");
        for (Node n : graph.nodes()) {
            String line = statement(n);
            if (line != null) {
                b.append("        ").append(line).append('\n');
            }
        }
        b.append("    }\n}\n");
        return b.toString();
    }

    private static String statement(Node n) {
        List<Object> a = n.args();
        if (n.callable() instanceof ScalarOp) {
            return sizeStatement(n, a);
        }
        switch (n.op()) {
            case PLACEHOLDER:
                return null;
            case GET_ATTR:
                return "NDArray " + n.name() + " = this." + n.target() + ";";
            case CALL_MODULE:
                return (n.outputCount() == 1 ? "NDArray " : "NDList ") + n.name() + " = this." + n.target() + "("
                        + join(a) + ");";
            case CALL_FUNCTION:
                if (n.callable() == Tracer.GETITEM) {
                    return "NDArray " + n.name() + " = " + arg(a.get(0)) + ".get(" + arg(a.get(1)) + ");";
                }
                return "NDArray " + n.name() + " = F." + n.target() + "(" + join(a) + ");";
            case CALL_METHOD:
                MethodCall mc = (MethodCall) n.callable();
                return "NDArray " + n.name() + " = " + arg(a.get(0)) + "." + mc + "(" + join(a.subList(1, a.size()))
                        + ");";
            case OUTPUT:
            default:
                StringJoiner j = new StringJoiner(", ");
                for (Map.Entry<?, ?> e : ((Map<?, ?>) a.get(0)).entrySet()) {
                    j.add("\"" + e.getKey() + "\", " + arg(e.getValue()));
                }
                return "return named(" + j + ");";
        }
    }

    private static String sizeStatement(Node n, List<Object> a) {
        String op = ((ScalarOp) n.callable()).name();
        switch (op) {
            case "getattr":
                return "Shape " + n.name() + " = " + arg(a.get(0)) + ".getShape();";
            case "getitem":
                return "long " + n.name() + " = " + arg(a.get(0)) + ".get(" + arg(a.get(1)) + ");";
            case "size":
                return "long " + n.name() + " = " + arg(a.get(0)) + ".size(" + arg(a.get(1)) + ");";
            case "dim":
                return "long " + n.name() + " = " + arg(a.get(0)) + ".getShape().dimension();";
            case "eq":
                return "boolean " + n.name() + " = " + arg(a.get(0)) + " == " + arg(a.get(1)) + ";";
            case "_assert":
                return arg(a.get(0)) + ".check(" + join(a.subList(1, a.size())) + ");";
            case "floordiv":
                return "long " + n.name() + " = Math.floorDiv(" + arg(a.get(0)) + ", " + arg(a.get(1)) + ");";
            default:
                String symbol = op.equals("add") ? " + " : op.equals("sub") ? " - " : " * ";
                return "long " + n.name() + " = " + arg(a.get(0)) + symbol + arg(a.get(1)) + ";";
        }
    }

    private static String join(List<Object> args) {
        StringJoiner j = new StringJoiner(", ");
        for (Object o : args) {
            j.add(arg(o));
        }
        return j.toString();
    }

    private static String arg(Object o) {
        if (o instanceof Node) {
            return ((Node) o).name();
        }
        if (o instanceof ArgContainer) {
            ArgContainer c = (ArgContainer) o;
            switch (c.kind()) {
                case NDLIST:
                    return "new NDList(" + join(c.items()) + ")";
                case ARRAY:
                    return "new " + c.componentType().getSimpleName() + "[] {" + join(c.items()) + "}";
                case LIST:
                default:
                    return "List.of(" + join(c.items()) + ")";
            }
        }
        if (o instanceof String) {
            return "\"" + o + "\"";
        }
        if (o instanceof Float) {
            return o + "f";
        }
        if (o instanceof Long) {
            return o + "L";
        }
        if (o instanceof long[]) {
            return "new long[] " + Arrays.toString((long[]) o).replace('[', '{').replace(']', '}');
        }
        if (o instanceof int[]) {
            return "new int[] " + Arrays.toString((int[]) o).replace('[', '{').replace(']', '}');
        }
        if (o instanceof float[]) {
            return "new float[] " + Arrays.toString((float[]) o).replace('[', '{').replace(']', '}');
        }
        if (o instanceof Shape) {
            return "new Shape" + o.toString();
        }
        if (o instanceof NDArray) {
            return "constant(" + ((NDArray) o).getShape() + ")";
        }
        return String.valueOf(o);
    }
}
