package org.fx4j.checkpoint;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
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

    /** How a checkpoint's keys and shapes meet a model's: decided before any tensor is read. */
    static final class Plan {
        final List<String> missing = new ArrayList<>();
        final List<String> unexpected = new ArrayList<>();
        final List<LoadReport.Mismatch> mismatches = new ArrayList<>();
        final List<String> matching = new ArrayList<>();

        boolean clean() {
            return missing.isEmpty() && unexpected.isEmpty() && mismatches.isEmpty();
        }

        /** Strict: fails, listing every mismatch, unless the keys and shapes match exactly. */
        void check(Module model, boolean strict, String source) throws CheckpointException {
            if (strict && !clean()) {
                LoadReport report = new LoadReport(missing, unexpected, mismatches, 0);
                throw new CheckpointException(report.message(model.getClass().getSimpleName()) + "\n(from " + source
                        + "; nothing was loaded. Use CheckpointOptions.builder().optPrefix(\"module.\") or optKey(...)"
                        + " if the keys are nested or prefixed, or optStrict(false) to load the matching keys)");
            }
        }
    }

    /** Compares a checkpoint's keys and shapes with a model's state dict. */
    static Plan plan(Module model, Map<String, Shape> shapes) {
        Map<String, Parameter> expected = model.stateDict();
        Plan plan = new Plan();
        for (Map.Entry<String, Parameter> e : expected.entrySet()) {
            Shape found = shapes.get(e.getKey());
            if (found == null) {
                plan.missing.add(e.getKey());
            } else if (!found.equals(e.getValue().getShape())) {
                plan.mismatches.add(new LoadReport.Mismatch(e.getKey(), e.getValue().getShape(), found));
            } else {
                plan.matching.add(e.getKey());
            }
        }
        for (String k : shapes.keySet()) {
            if (!expected.containsKey(k)) {
                plan.unexpected.add(k);
            }
        }
        return plan;
    }

    static LoadReport load(Module model, StateDict state, NDManager manager, boolean strict, DataType floatingType)
            throws CheckpointException {
        Map<String, Shape> shapes = new LinkedHashMap<>();
        state.tensors().forEach((k, a) -> shapes.put(k, a.getShape()));
        Plan plan = plan(model, shapes);
        plan.check(model, strict, state.source());
        return apply(model, plan, state, manager, floatingType);
    }

    /** Converts the matching tensors to the model's types, then (only if all convert) assigns them. */
    static LoadReport apply(Module model, Plan plan, StateDict state, NDManager manager, DataType floatingType)
            throws CheckpointException {
        Map<String, Parameter> expected = model.stateDict();
        String name = model.getClass().getSimpleName();
        Map<String, NDArray> ready = new LinkedHashMap<>();
        try {
            for (String key : plan.matching) {
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
        return new LoadReport(plan.missing, plan.unexpected, plan.mismatches, ready.size());
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
            org.fx4j.nn.Module.weightsChanged(); // cached folds of the old arrays are stale
        }
    }
}
