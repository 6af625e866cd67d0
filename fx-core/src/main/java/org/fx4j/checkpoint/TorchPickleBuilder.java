package org.fx4j.checkpoint;

import ai.djl.ndarray.types.DataType;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.fx4j.checkpoint.RestrictedUnpickler.Global;
import org.fx4j.checkpoint.RestrictedUnpickler.Tuple;
import org.fx4j.checkpoint.TensorRef.StorageRef;

/** Builds {@link TensorRef}s and {@link StorageRef}s from the allowed globals of a torch pickle. */
final class TorchPickleBuilder implements RestrictedUnpickler.Builder {

    private static final Map<String, DataType> STORAGE_TYPES = Map.ofEntries(
            Map.entry("FloatStorage", DataType.FLOAT32),
            Map.entry("HalfStorage", DataType.FLOAT16),
            Map.entry("BFloat16Storage", DataType.BFLOAT16),
            Map.entry("DoubleStorage", DataType.FLOAT64),
            Map.entry("LongStorage", DataType.INT64),
            Map.entry("IntStorage", DataType.INT32),
            Map.entry("ShortStorage", DataType.INT16),
            Map.entry("CharStorage", DataType.INT8),
            Map.entry("ByteStorage", DataType.UINT8),
            Map.entry("BoolStorage", DataType.BOOLEAN));

    private final String source;
    private final Map<String, StorageRef> storages = new LinkedHashMap<>();

    TorchPickleBuilder(String source) {
        this.source = source;
    }

    Map<String, StorageRef> storages() {
        return storages;
    }

    @Override
    @SuppressWarnings("unchecked")
    public Object reduce(Global callable, Tuple args) throws CheckpointException {
        switch (callable.qualifiedName()) {
            case "collections.OrderedDict": {
                Map<Object, Object> map = new LinkedHashMap<>();
                if (args.size() == 1 && args.get(0) instanceof List) {
                    for (Object pair : (List<Object>) args.get(0)) {
                        Tuple t = RestrictedUnpickler.cast(pair, Tuple.class, "an OrderedDict item", source);
                        if (t.size() != 2) {
                            throw new CheckpointException(source + " is corrupt: an OrderedDict item has "
                                    + t.size() + " values, not 2");
                        }
                        RestrictedUnpickler.checkHashable(t.get(0), source);
                        map.put(t.get(0), t.get(1));
                    }
                }
                return map;
            }
            case "torch._utils._rebuild_tensor_v2":
            case "torch._utils._rebuild_tensor":
                return tensor(args);
            case "torch._utils._rebuild_parameter":
                arity(args, 1, callable);
                return RestrictedUnpickler.cast(args.get(0), TensorRef.class, "a parameter's data", source);
            case "torch._tensor._rebuild_from_type_v2": {
                // _rebuild_from_type_v2(func, new_type, args, state) calls func(*args): one level, never nested,
                // so that a chain of 100k of them cannot recurse.
                arity(args, 3, callable);
                Global func = RestrictedUnpickler.cast(args.get(0), Global.class, "a rebuild function", source);
                if (func.qualifiedName().equals(callable.qualifiedName())) {
                    throw new CheckpointException(source + " is refused: it nests " + callable.qualifiedName()
                            + " calls, which torch.save never writes");
                }
                Tuple inner = RestrictedUnpickler.cast(args.get(2), Tuple.class, "rebuild arguments", source);
                return reduce(func, inner);
            }
            default:
                throw new CheckpointException(
                        source + " calls '" + callable.qualifiedName() + "', which fx4j does not build while loading");
        }
    }

    private void arity(Tuple args, int least, Global callable) throws CheckpointException {
        if (args.size() < least) {
            throw new CheckpointException(source + " is corrupt: " + callable.qualifiedName() + " is called with "
                    + args.size() + " arguments, it takes at least " + least);
        }
    }

    private TensorRef tensor(Tuple args) throws CheckpointException {
        if (args.size() < 4) {
            throw new CheckpointException(source + " is corrupt: a tensor rebuild has " + args.size() + " arguments");
        }
        StorageRef storage = RestrictedUnpickler.cast(args.get(0), StorageRef.class, "a tensor's storage", source);
        long offset = RestrictedUnpickler.cast(args.get(1), Long.class, "a storage offset", source);
        long[] size = longs(args.get(2), "a tensor size");
        long[] stride = longs(args.get(3), "a tensor stride");
        return TensorRef.checked(storage, offset, size, stride, source);
    }

    private long[] longs(Object o, String what) throws CheckpointException {
        Tuple t = RestrictedUnpickler.cast(o, Tuple.class, what, source);
        if (t.size() > TensorRef.MAX_RANK) {
            throw new CheckpointException(source + " is corrupt: " + what + " has " + t.size() + " dimensions, more"
                    + " than fx4j's bound of " + TensorRef.MAX_RANK);
        }
        long[] out = new long[t.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = RestrictedUnpickler.cast(t.get(i), Long.class, what, source);
        }
        return out;
    }

    @Override
    public Object persistentLoad(Object pid) throws CheckpointException {
        Tuple t = RestrictedUnpickler.cast(pid, Tuple.class, "a persistent id", source);
        if (t.size() < 5 || !"storage".equals(t.get(0))) {
            throw new CheckpointException(source + " is corrupt: unexpected persistent id " + BoundedText.of(t));
        }
        Global type = RestrictedUnpickler.cast(t.get(1), Global.class, "a storage type", source);
        DataType dataType = STORAGE_TYPES.get(type.name);
        if (dataType == null || !"torch".equals(type.module)) {
            throw new CheckpointException(source + " holds a storage of type " + type.qualifiedName()
                    + ", which fx4j does not read; supported: " + STORAGE_TYPES.keySet());
        }
        if (t.size() > 5 && t.get(5) != null) {
            throw new CheckpointException(source + " holds storage views (a format of torch < 0.4); re-save it with"
                    + " a recent torch.save");
        }
        String key = RestrictedUnpickler.cast(t.get(2), String.class, "a storage key", source);
        long numel = RestrictedUnpickler.cast(t.get(4), Long.class, "a storage size", source);
        if (numel < 0 || numel > Long.MAX_VALUE / dataType.getNumOfBytes()) {
            throw new CheckpointException(source + " is corrupt: storage '" + BoundedText.name(key) + "' declares "
                    + numel + " elements (" + (numel < 0 ? "negative" : "its byte count overflows int64") + ")");
        }
        StorageRef existing = storages.get(key);
        if (existing != null) {
            if (existing.dataType != dataType || existing.numel != numel) {
                throw new CheckpointException(source + " is corrupt: storage '" + BoundedText.name(key)
                        + "' is declared twice, as " + existing.numel + " x " + existing.typeName + " and " + numel
                        + " x " + type.name);
            }
            return existing;
        }
        StorageRef ref = new StorageRef(key, dataType, type.name, numel);
        storages.put(key, ref);
        return ref;
    }
}
