package io.siman.models.pytorch;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A restricted reader of Python pickles: the opcodes {@code torch.save} writes (protocols 2 to 5), nothing executed.
 * Values become Java values: dicts {@link LinkedHashMap}, lists {@link ArrayList}, tuples {@link Tuple}, str
 * {@link String}, int {@link Long}, float {@link Double}, bool {@link Boolean}, None {@code null}, bytes {@code byte[]}.
 * A class or function reference ({@code GLOBAL}) is a {@link Global}; whether one is allowed, and what calling it
 * gives, is the {@link Policy}'s decision: everything else is refused with {@link PickleException}. Every length is
 * checked against the bytes that remain before anything is allocated.
 */
public final class Pickle {
    /** Bounds on what a pickle may build, far above what a state dict needs. */
    static final int MAX_STACK = 1 << 20, MAX_MEMO = 1 << 22;

    /** A reference to a Python class or function, {@code module.name}. */
    public record Global(String module, String name) {
        @Override
        public String toString() {
            return module + "." + name;
        }
    }

    /** A Python tuple. */
    public record Tuple(List<Object> items) {
        public Object get(int i) {
            return items.get(i);
        }

        public int size() {
            return items.size();
        }
    }

    /** What the reader may construct: the only place where a {@link Global} gains a meaning. */
    public interface Policy {
        /** Whether {@code global} may appear at all (checked when it is read). */
        boolean allows(Global global);

        /** The value of {@code callable(*args)} ({@code REDUCE} and {@code NEWOBJ}). */
        Object call(Global callable, Tuple args);

        /** {@code BUILD}: {@code target} after {@code setstate(state)}. */
        Object build(Object target, Object state);

        /** The object a persistent id stands for ({@code BINPERSID}). */
        Object persistentLoad(Object pid);
    }

    /** A pickle this reader will not read: malformed, truncated, or asking for something refused. */
    public static final class PickleException extends RuntimeException {
        public PickleException(String message) {
            super(message);
        }
    }

    private static final Object MARK = new Object();

    private final byte[] data;
    private final Policy policy;
    private int pos;
    private final ArrayList<Object> stack = new ArrayList<>();
    private final ArrayList<Integer> marks = new ArrayList<>();
    private final Map<Long, Object> memo = new java.util.HashMap<>();

    private Pickle(byte[] data, Policy policy) {
        this.data = data;
        this.policy = policy;
    }

    /** Reads the pickle in {@code data} to its {@code STOP}. */
    public static Object read(byte[] data, Policy policy) {
        return new Pickle(data, policy).run();
    }

    private Object run() {
        while (true) {
            int at = pos;
            int op = u8();
            switch (op) {
                case 0x80 -> { // PROTO
                    int v = u8();
                    if (v > 5) {
                        throw new PickleException("pickle protocol " + v + " is newer than 5");
                    }
                }
                case 0x95 -> take(8); // FRAME: a hint only
                case '.' -> { // STOP
                    if (stack.size() != 1 || !marks.isEmpty()) {
                        throw new PickleException("pickle ends with " + stack.size() + " values on its stack");
                    }
                    return stack.get(0);
                }
                case '(' -> { // MARK
                    marks.add(stack.size());
                    push(MARK);
                }
                case '}' -> push(new LinkedHashMap<Object, Object>());
                case ']' -> push(new ArrayList<Object>());
                case ')' -> push(new Tuple(List.of()));
                case 'N' -> push(null);
                case 0x88 -> push(Boolean.TRUE);
                case 0x89 -> push(Boolean.FALSE);
                case 'J' -> push((long) i32());
                case 'K' -> push((long) u8());
                case 'M' -> push((long) (u8() | (u8() << 8)));
                case 0x8a -> push(longOf(u8(), at)); // LONG1
                case 0x8b -> push(longOf(length(i32(), at), at)); // LONG4
                case 'G' -> push(Double.longBitsToDouble(be64()));
                case 'X' -> push(text(length(i32(), at))); // BINUNICODE
                case 0x8c -> push(text(u8())); // SHORT_BINUNICODE
                case 0x8d -> push(text(length(i64(), at))); // BINUNICODE8
                case 'U' -> push(latin1(u8())); // SHORT_BINSTRING
                case 'T' -> push(latin1(length(i32(), at))); // BINSTRING
                case 'C' -> push(take(u8())); // SHORT_BINBYTES
                case 'B' -> push(take(length(i32(), at))); // BINBYTES
                case 0x8e -> push(take(length(i64(), at))); // BINBYTES8
                case 't' -> push(new Tuple(popToMark()));
                case 0x85 -> push(new Tuple(Arrays.asList(pop())));
                case 0x86 -> {
                    Object b = pop(), a = pop();
                    push(new Tuple(Arrays.asList(a, b)));
                }
                case 0x87 -> {
                    Object c = pop(), b = pop(), a = pop();
                    push(new Tuple(Arrays.asList(a, b, c)));
                }
                case 'l' -> push(new ArrayList<>(popToMark()));
                case 'd' -> push(dictOf(popToMark(), new LinkedHashMap<>(), at));
                case 's' -> {
                    Object v = pop(), k = pop();
                    dict(peek(), at).put(key(k, at), v);
                }
                case 'u' -> {
                    List<Object> items = popToMark();
                    dictOf(items, dict(peek(), at), at);
                }
                case 'a' -> {
                    Object v = pop();
                    list(peek(), at).add(v);
                }
                case 'e' -> {
                    List<Object> items = popToMark();
                    list(peek(), at).addAll(items);
                }
                case 'c' -> push(global(line(), line(), at)); // GLOBAL
                case 0x93 -> { // STACK_GLOBAL
                    Object name = pop(), module = pop();
                    if (!(module instanceof String m) || !(name instanceof String n)) {
                        throw new PickleException("STACK_GLOBAL at byte " + at + " without two strings");
                    }
                    push(global(m, n, at));
                }
                case 'R' -> { // REDUCE
                    Object args = pop(), f = pop();
                    push(policy.call(callable(f, at), tuple(args, at)));
                }
                case 0x81 -> { // NEWOBJ: cls.__new__(cls, *args)
                    Object args = pop(), cls = pop();
                    push(policy.call(callable(cls, at), tuple(args, at)));
                }
                case 'b' -> { // BUILD
                    Object state = pop();
                    push(policy.build(pop(), state));
                }
                case 'Q' -> push(policy.persistentLoad(pop())); // BINPERSID
                case 'q' -> memoPut(u8());
                case 'r' -> memoPut(i32() & 0xffffffffL);
                case 0x94 -> memoPut(memo.size());
                case 'h' -> push(memoGet(u8(), at));
                case 'j' -> push(memoGet(i32() & 0xffffffffL, at));
                case 'p' -> memoPut(parseLong(line(), at)); // PUT (text)
                case 'g' -> push(memoGet(parseLong(line(), at), at)); // GET (text)
                case '0' -> pop();
                case '1' -> popToMark();
                case '2' -> push(peek());
                default -> throw new PickleException(String.format("unsupported pickle opcode 0x%02x at byte %d", op, at));
            }
        }
    }

    private Object global(String module, String name, int at) {
        Global g = new Global(module, name);
        if (!policy.allows(g)) {
            throw new PickleException("refused global " + g + " at byte " + at + " (only tensors, storages and plain"
                    + " containers are read; nothing in a pickle is executed)");
        }
        return g;
    }

    private static Global callable(Object f, int at) {
        if (f instanceof Global g) {
            return g;
        }
        throw new PickleException("a call at byte " + at + " of something that is not an allowed class or function");
    }

    private static Tuple tuple(Object args, int at) {
        if (args instanceof Tuple t) {
            return t;
        }
        throw new PickleException("a call at byte " + at + " whose arguments are not a tuple");
    }

    @SuppressWarnings("unchecked")
    private static Map<Object, Object> dict(Object o, int at) {
        if (o instanceof LinkedHashMap<?, ?> m) {
            return (Map<Object, Object>) m;
        }
        throw new PickleException("a dict operation at byte " + at + " on a " + typeName(o));
    }

    @SuppressWarnings("unchecked")
    private static List<Object> list(Object o, int at) {
        if (o instanceof ArrayList<?> l) {
            return (List<Object>) l;
        }
        throw new PickleException("a list operation at byte " + at + " on a " + typeName(o));
    }

    private static Map<Object, Object> dictOf(List<Object> items, Map<Object, Object> into, int at) {
        if (items.size() % 2 != 0) {
            throw new PickleException("a dict at byte " + at + " with an odd number of items");
        }
        for (int i = 0; i < items.size(); i += 2) {
            into.put(key(items.get(i), at), items.get(i + 1));
        }
        return into;
    }

    /** Dict keys must be hashable values: strings, numbers, booleans, None, tuples of those. */
    private static Object key(Object k, int at) {
        if (k == null || k instanceof String || k instanceof Long || k instanceof Double || k instanceof Boolean || k instanceof Tuple) {
            return k;
        }
        throw new PickleException("a dict key at byte " + at + " that is a " + typeName(k));
    }

    static String typeName(Object o) {
        return o == null ? "None" : o instanceof Global g ? "reference to " + g : o.getClass().getSimpleName();
    }

    private void push(Object o) {
        if (stack.size() >= MAX_STACK) {
            throw new PickleException("pickle stack deeper than " + MAX_STACK);
        }
        stack.add(o);
    }

    private Object pop() {
        if (stack.isEmpty()) {
            throw new PickleException("pickle stack underflow at byte " + pos);
        }
        Object o = stack.remove(stack.size() - 1);
        if (o == MARK) {
            throw new PickleException("pickle pops a mark as a value at byte " + pos);
        }
        return o;
    }

    private Object peek() {
        if (stack.isEmpty() || stack.get(stack.size() - 1) == MARK) {
            throw new PickleException("pickle stack underflow at byte " + pos);
        }
        return stack.get(stack.size() - 1);
    }

    private List<Object> popToMark() {
        if (marks.isEmpty()) {
            throw new PickleException("pickle has no mark to pop to at byte " + pos);
        }
        int m = marks.remove(marks.size() - 1);
        List<Object> items = new ArrayList<>(stack.subList(m + 1, stack.size()));
        stack.subList(m, stack.size()).clear();
        return items;
    }

    private void memoPut(long index) {
        if (memo.size() >= MAX_MEMO) {
            throw new PickleException("pickle memo larger than " + MAX_MEMO);
        }
        memo.put(index, peek());
    }

    private Object memoGet(long index, int at) {
        if (!memo.containsKey(index)) {
            throw new PickleException("pickle refers to memo entry " + index + " that was never stored (byte " + at + ")");
        }
        return memo.get(index);
    }

    private int u8() {
        if (pos >= data.length) {
            throw new PickleException("pickle truncated at byte " + pos);
        }
        return data[pos++] & 0xff;
    }

    private int i32() {
        byte[] b = take(4);
        return (b[0] & 0xff) | (b[1] & 0xff) << 8 | (b[2] & 0xff) << 16 | (b[3] & 0xff) << 24;
    }

    private long i64() {
        byte[] b = take(8);
        long v = 0;
        for (int i = 7; i >= 0; i--) {
            v = v << 8 | (b[i] & 0xff);
        }
        return v;
    }

    private long be64() {
        byte[] b = take(8);
        long v = 0;
        for (byte x : b) {
            v = v << 8 | (x & 0xff);
        }
        return v;
    }

    /** A declared length, checked against what remains before anything of that size is allocated. */
    private int length(long n, int at) {
        if (n < 0 || n > data.length - pos) {
            throw new PickleException("pickle declares " + n + " bytes at byte " + at + " but " + (data.length - pos) + " remain");
        }
        return (int) n;
    }

    private byte[] take(int n) {
        length(n, pos);
        byte[] b = Arrays.copyOfRange(data, pos, pos + n);
        pos += n;
        return b;
    }

    private String text(int n) {
        return new String(take(n), StandardCharsets.UTF_8);
    }

    private String latin1(int n) {
        return new String(take(n), StandardCharsets.ISO_8859_1);
    }

    private String line() {
        int start = pos;
        while (pos < data.length && data[pos] != '\n') {
            if (pos - start > 1024) {
                throw new PickleException("pickle text line longer than 1024 bytes at byte " + start);
            }
            pos++;
        }
        if (pos >= data.length) {
            throw new PickleException("pickle truncated in a text line at byte " + start);
        }
        String s = new String(data, start, pos - start, StandardCharsets.UTF_8);
        pos++;
        return s;
    }

    private static long parseLong(String s, int at) {
        try {
            return Long.parseLong(s.trim());
        } catch (NumberFormatException e) {
            throw new PickleException("pickle memo index '" + s + "' at byte " + at + " is not a number");
        }
    }

    /** A little-endian two's-complement integer of {@code n} bytes; Python ints beyond 64 bits are refused. */
    private long longOf(int n, int at) {
        if (n > 8) {
            throw new PickleException("pickle integer of " + n + " bytes at byte " + at + " (more than 64 bits)");
        }
        byte[] b = take(n);
        if (n == 0) {
            return 0;
        }
        long v = b[n - 1]; // sign-extended top byte
        for (int i = n - 2; i >= 0; i--) {
            v = v << 8 | (b[i] & 0xff);
        }
        return v;
    }
}
