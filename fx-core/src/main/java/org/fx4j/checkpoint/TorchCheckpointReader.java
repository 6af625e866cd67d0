package org.fx4j.checkpoint;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.fx4j.checkpoint.TensorRef.StorageRef;

/**
 * Reads files written by {@code torch.save}: the zip format (default since torch 1.6) and the
 * legacy format (a sequence of pickles followed by raw storages).
 */
final class TorchCheckpointReader {

    private static final BigInteger LEGACY_MAGIC = new BigInteger("1950a86a20f9469cfc6c", 16);
    private static final long LEGACY_PROTOCOL = 1001;
    private static final List<String> NESTED_KEYS = List.of("state_dict", "model", "model_state_dict", "module", "net");

    private TorchCheckpointReader() {}

    static TensorIndex readZip(ZipDirectory dir, String source, CheckpointOptions options) throws IOException {
        ZipDirectory.Entry pkl = null;
        for (ZipDirectory.Entry e : dir.entries().values()) {
            if (e.name.equals("data.pkl") || e.name.endsWith("/data.pkl")) {
                pkl = e;
                break;
            }
        }
        if (pkl == null) {
            throw new CheckpointException(source + " is a zip file without data.pkl: not a torch.save checkpoint");
        }
        String prefix = pkl.name.substring(0, pkl.name.length() - "data.pkl".length());
        TorchPickleBuilder builder = new TorchPickleBuilder(source);
        Object root = new RestrictedUnpickler(dir.map(pkl), source, builder).load();
        Map<String, TensorRef> refs = select(root, source, options);
        Map<String, ZipDirectory.Entry> records = new HashMap<>();
        for (TensorRef ref : refs.values()) {
            StorageRef s = ref.storage;
            if (!records.containsKey(s.key)) {
                ZipDirectory.Entry e = dir.entries().get(prefix + "data/" + s.key);
                if (e == null) {
                    throw new CheckpointException(source + " is truncated or corrupt: storage record 'data/"
                            + BoundedText.name(s.key) + "' is missing");
                }
                long needed = s.numel * s.dataType.getNumOfBytes(); // cannot overflow: checked on unpickling
                if (e.size < needed) {
                    throw new CheckpointException(source + " is truncated or corrupt: storage 'data/" + BoundedText.name(s.key)
                            + "' holds " + e.size + " bytes, " + s.numel + " x " + s.typeName + " need " + needed);
                }
                dir.checkReadable(e);
                records.put(s.key, e);
            }
        }
        Map<String, ByteBuffer> mapped = new HashMap<>();
        StoredTensor.StorageBytes bytes = storage -> {
            ByteBuffer b = mapped.get(storage.key);
            if (b == null) {
                b = dir.map(records.get(storage.key));
                mapped.put(storage.key, b);
            }
            return b;
        };
        return index(refs, bytes, source + " (torch.save zip format)");
    }

    static TensorIndex readLegacy(FileChannel channel, String source, CheckpointOptions options) throws IOException {
        if (channel.size() > Integer.MAX_VALUE) {
            throw new CheckpointException(source + " is a legacy-format checkpoint over 2 GiB, which fx4j does not"
                    + " read; re-save it with torch.save's default (zip) format");
        }
        ByteBuffer file = channel.map(FileChannel.MapMode.READ_ONLY, 0, channel.size()).order(ByteOrder.LITTLE_ENDIAN);
        RestrictedUnpickler.Builder plain = new NoTensors(source);
        RestrictedUnpickler header = new RestrictedUnpickler(file, source, plain);
        Object magic = header.load();
        if (!LEGACY_MAGIC.equals(magic instanceof Long ? BigInteger.valueOf((Long) magic) : magic)) {
            throw new CheckpointException(source + " is a pickle but not a torch.save checkpoint (wrong magic number)");
        }
        int p = header.position();
        RestrictedUnpickler protocol = new RestrictedUnpickler(file.position(p), source, plain);
        Object version = protocol.load();
        if (!Long.valueOf(LEGACY_PROTOCOL).equals(version)) {
            throw new CheckpointException(source + " uses legacy protocol version " + BoundedText.of(version)
                    + ", fx4j reads 1001");
        }
        p = protocol.position();
        RestrictedUnpickler info = new RestrictedUnpickler(file.position(p), source, plain);
        Object sysInfo = info.load();
        p = info.position();
        if (sysInfo instanceof Map && Boolean.FALSE.equals(((Map<?, ?>) sysInfo).get("little_endian"))) {
            throw new CheckpointException(source + " was written on a big-endian machine, which fx4j does not read");
        }
        TorchPickleBuilder builder = new TorchPickleBuilder(source);
        RestrictedUnpickler body = new RestrictedUnpickler(file.position(p), source, builder);
        Object root = body.load();
        p = body.position();
        RestrictedUnpickler keysPickle = new RestrictedUnpickler(file.position(p), source, plain);
        Object keys = keysPickle.load();
        p = keysPickle.position();
        if (!(keys instanceof List)) {
            throw new CheckpointException(source + " is corrupt: the storage key list is missing");
        }
        Map<String, ByteBuffer> buffers = new HashMap<>();
        for (Object k : (List<?>) keys) {
            String key = RestrictedUnpickler.cast(k, String.class, "a storage key", source);
            StorageRef s = builder.storages().get(key);
            if (s == null) {
                throw new CheckpointException(source + " is corrupt: storage '" + BoundedText.name(key)
                        + "' is listed but never used");
            }
            if (buffers.containsKey(key)) {
                throw new CheckpointException(source + " is corrupt: storage '" + BoundedText.name(key) + "' is listed twice");
            }
            if (p + 8 > file.capacity()) {
                throw new CheckpointException(source + " is truncated: storage '" + BoundedText.name(key) + "' is missing");
            }
            long numel = file.getLong(p);
            p += 8;
            if (numel != s.numel) {
                throw new CheckpointException(source + " is corrupt: storage '" + BoundedText.name(key) + "' holds " + numel
                        + " elements, its tensors were pickled with " + s.numel);
            }
            long bytes = numel * s.dataType.getNumOfBytes(); // cannot overflow: s.numel was checked
            if (bytes > file.capacity() - p) {
                throw new CheckpointException(source + " is truncated: storage '" + BoundedText.name(key) + "' needs " + bytes
                        + " bytes, " + (file.capacity() - p) + " are left");
            }
            buffers.put(key, Tensors.slice(file, p, bytes));
            p += (int) bytes;
        }
        Map<String, TensorRef> refs = select(root, source, options);
        for (TensorRef r : refs.values()) {
            if (!buffers.containsKey(r.storage.key)) {
                throw new CheckpointException(source + " is corrupt: storage '" + BoundedText.name(r.storage.key)
                        + "' has no data");
            }
        }
        return index(refs, storage -> buffers.get(storage.key), source + " (torch.save legacy format)");
    }

    private static TensorIndex index(Map<String, TensorRef> refs, StoredTensor.StorageBytes bytes, String source) {
        Map<String, LazyTensor> tensors = new LinkedHashMap<>();
        refs.forEach((k, r) -> tensors.put(k, new StoredTensor(r, bytes)));
        return new TensorIndex(tensors, source);
    }

    /** Finds the state dict in the unpickled object, applying the nesting key and the prefix. */
    @SuppressWarnings("unchecked")
    static Map<String, TensorRef> select(Object root, String source, CheckpointOptions options)
            throws CheckpointException {
        if (!(root instanceof Map)) {
            throw new CheckpointException(source + " holds a " + RestrictedUnpickler.describe(root)
                    + ", not a dict of tensors; save a state_dict (torch.save(model.state_dict(), f))");
        }
        Map<Object, Object> map = (Map<Object, Object>) root;
        if (options.key() != null) {
            Object nested = map.get(options.key());
            if (!(nested instanceof Map)) {
                throw new CheckpointException(source + " has no state dict under key '" + options.key()
                        + "'; its top-level keys are " + BoundedText.keys(map.keySet()));
            }
            map = (Map<Object, Object>) nested;
        } else if (!allTensors(map)) {
            Map<Object, Object> found = null;
            for (String k : NESTED_KEYS) {
                Object nested = map.get(k);
                if (nested instanceof Map && allTensors((Map<Object, Object>) nested)) {
                    found = (Map<Object, Object>) nested;
                    break;
                }
            }
            if (found == null) {
                throw new CheckpointException(source + " holds a dict with keys " + BoundedText.keys(map.keySet())
                        + " but no state dict of tensors at its top level or under " + NESTED_KEYS
                        + "; pass the key that holds it (CheckpointOptions.builder().optKey(...), fx --key)");
            }
            map = found;
        }
        Map<String, TensorRef> out = new LinkedHashMap<>();
        for (Map.Entry<Object, Object> e : map.entrySet()) {
            if (!(e.getKey() instanceof String)) {
                throw new CheckpointException(source + ": state-dict key " + BoundedText.of(e.getKey())
                        + " is not a string");
            }
            if (!(e.getValue() instanceof TensorRef)) {
                throw new CheckpointException(source + ": state-dict entry " + BoundedText.of(e.getKey()) + " is a "
                        + RestrictedUnpickler.describe(e.getValue()) + ", not a tensor");
            }
            out.put((String) e.getKey(), (TensorRef) e.getValue());
        }
        return stripPrefix(out, options, source);
    }

    static <V> Map<String, V> stripPrefix(Map<String, V> in, CheckpointOptions options, String source)
            throws CheckpointException {
        String prefix = options.prefix();
        if (prefix == null || prefix.isEmpty()) {
            return in;
        }
        Map<String, V> out = new LinkedHashMap<>();
        for (Map.Entry<String, V> e : in.entrySet()) {
            boolean prefixed = e.getKey().startsWith(prefix);
            if (!prefixed && options.onlyPrefixed()) {
                continue;
            }
            String k = prefixed ? e.getKey().substring(prefix.length()) : e.getKey();
            if (out.put(k, e.getValue()) != null) {
                throw new CheckpointException(source + ": stripping prefix '" + prefix + "' makes key "
                        + BoundedText.of(k) + " appear twice");
            }
        }
        return out;
    }

    private static boolean allTensors(Map<Object, Object> map) {
        if (map.isEmpty()) {
            return false;
        }
        for (Object v : map.values()) {
            if (!(v instanceof TensorRef)) {
                return false;
            }
        }
        return true;
    }

    /** Builds plain data only: the header pickles of the legacy format hold no tensors. */
    private static final class NoTensors implements RestrictedUnpickler.Builder {
        private final String source;

        NoTensors(String source) {
            this.source = source;
        }

        @Override
        public Object reduce(RestrictedUnpickler.Global callable, RestrictedUnpickler.Tuple args)
                throws CheckpointException {
            if (callable.qualifiedName().equals("collections.OrderedDict")) {
                return new LinkedHashMap<>();
            }
            throw new CheckpointException(source + " is corrupt: '" + callable + "' in a header pickle");
        }

        @Override
        public Object persistentLoad(Object pid) throws CheckpointException {
            throw new CheckpointException(source + " is corrupt: a persistent id in a header pickle");
        }
    }
}
