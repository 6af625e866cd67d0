package org.fx4j.checkpoint;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Parameter;
import ai.djl.training.initializer.Initializer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.fx4j.nn.Module;

/**
 * Loads a {@link StateDict} into a module by key, as PyTorch's {@code load_state_dict}: everything
 * is checked (and converted to the model's types) before anything is assigned, so a failed strict
 * load leaves the model untouched.
 */
final class StateDictLoader {

    private StateDictLoader() {}

    static LoadReport load(Module model, StateDict state, NDManager manager, boolean strict, DataType floatingType)
            throws CheckpointException {
        Map<String, Parameter> expected = model.stateDict();
        List<String> missing = new ArrayList<>();
        List<String> unexpected = new ArrayList<>();
        List<LoadReport.Mismatch> mismatches = new ArrayList<>();
        List<String> matching = new ArrayList<>();
        for (Map.Entry<String, Parameter> e : expected.entrySet()) {
            NDArray found = state.get(e.getKey());
            if (found == null) {
                missing.add(e.getKey());
            } else if (!found.getShape().equals(e.getValue().getShape())) {
                mismatches.add(new LoadReport.Mismatch(e.getKey(), e.getValue().getShape(), found.getShape()));
            } else {
                matching.add(e.getKey());
            }
        }
        for (String k : state.keys()) {
            if (!expected.containsKey(k)) {
                unexpected.add(k);
            }
        }
        String name = model.getClass().getSimpleName();
        if (strict && !(missing.isEmpty() && unexpected.isEmpty() && mismatches.isEmpty())) {
            LoadReport report = new LoadReport(missing, unexpected, mismatches, 0);
            throw new CheckpointException(report.message(name) + "\n(from " + state.source()
                    + "; nothing was loaded. Use CheckpointOptions.builder().optPrefix(\"module.\") or optKey(...)"
                    + " if the keys are nested or prefixed, or optStrict(false) to load the matching keys)");
        }
        Map<String, NDArray> ready = new LinkedHashMap<>();
        try {
            for (String key : matching) {
                Parameter p = expected.get(key);
                NDArray src = state.get(key);
                DataType target = p.isInitialized() ? p.getArray().getDataType()
                        : src.getDataType().isFloating() ? floatingType : src.getDataType();
                ready.put(key, src.getDataType() == target ? src : src.toType(target, true));
            }
        } catch (RuntimeException e) {
            for (Map.Entry<String, NDArray> r : ready.entrySet()) {
                if (r.getValue() != state.get(r.getKey())) {
                    r.getValue().close();
                }
            }
            throw new CheckpointException("Cannot convert " + state.source() + " to " + name + "'s types: "
                    + e.getMessage(), e);
        }
        for (Map.Entry<String, NDArray> r : ready.entrySet()) {
            Parameter p = expected.get(r.getKey());
            NDManager owner = p.isInitialized() ? p.getArray().getManager() : manager;
            NDArray value;
            if (r.getValue() == state.get(r.getKey())) {
                value = state.take(r.getKey(), owner);
            } else {
                value = r.getValue();
                value.attach(owner);
            }
            adopt(p, value, owner);
        }
        return new LoadReport(missing, unexpected, mismatches, ready.size());
    }

    /** Makes {@code value} the parameter's array (closing the previous one). */
    private static void adopt(Parameter p, NDArray value, NDManager owner) {
        Initializer original = p.getInitializer();
        p.close();
        p.setInitializer((m, shape, type) -> value);
        try {
            p.initialize(owner, value.getDataType());
        } finally {
            p.setInitializer(original);
        }
    }
}
