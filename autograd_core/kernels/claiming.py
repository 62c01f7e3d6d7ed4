"""The native half of the kernels' thread pool: atomics, a bounded spin, and chunk claiming
without the GIL.

Why native: on a 2-core virtual machine whose idle vCPUs halt at once, every futex wake-up
costs 30-70 us and every GIL hand-off between the caller and a pool thread is one, so a pool
that claims chunks in Python gained little (a 2-thread sigmoid forward on 2**20 float32: 356 us
against 430 serial).  Here a pool thread that has just finished a call keeps polling a shared
counter for `parallel.SPIN_S` (pausing between reads) before it sleeps, and the call's chunks are
claimed with an atomic fetch-and-add inside the jitted driver: a call that follows another
within that time needs no wake-up and no GIL hand-off.  Measured (AMD EPYC, 2 vCPUs;
`python benchmarks/threads.py --parts wake`): the same forward 100 us after the previous call
took 261-304 us on 2 threads against 403-438 serial; 1 ms after it (the pool thread asleep, so
woken) 395-436 against 424-447.

Protocol (the slots of the pool's int64 ``state`` array):
  PUBLISHED  bumped by a caller, from inside its driver (the GIL already released), when it
             has a new call; a polling thread that sees it takes the GIL (free: the caller is
             in native code) to read the call from the pool and runs the same driver.
  BUSY       how many pool threads have seen a call and not yet come back to polling; the
             caller waits (bounded) for 0 before it returns, so that it never has to wait for
             the GIL behind a pool thread.
Each call has its own ``counters`` array: [next chunk to claim, chunks done, helper seats
left].  The caller returns once every chunk is done, so no thread writes into the call's arrays
after that.

This module imports Numba; `parallel` imports it only once Numba is loaded (jit.load()).
"""
import hashlib
import marshal
import platform
import time

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.core import cgutils
from numba.extending import NativeValue, intrinsic, models, overload, register_model, typeof_impl, unbox

PUBLISHED, BUSY = 0, 1
STATE_SLOTS = 8  # the two slots, padded to a 64-byte cache line
_JIT = dict(cache=True, nogil=True)


def _slot_pointer(context, builder, array_type, array, index):
    data = context.make_array(array_type)(context, builder, array).data
    return builder.gep(data, [index])


@intrinsic
def atomic_load(typingctx, array, index):
    """array[index] read with acquire ordering (an int64 array; the compiler may not hoist it out
    of a loop, as it could a plain read)."""
    def codegen(context, builder, signature, args):
        pointer = _slot_pointer(context, builder, signature.args[0], *args)
        return builder.load_atomic(pointer, ordering="acquire", align=8)
    return types.int64(array, index), codegen


@intrinsic
def atomic_add(typingctx, array, index, value):
    """array[index] += value as one atomic step; returns the value before."""
    def codegen(context, builder, signature, args):
        pointer = _slot_pointer(context, builder, signature.args[0], args[0], args[1])
        return builder.atomic_rmw("add", pointer, args[2], "seq_cst")
    return types.int64(array, index, value), codegen


_PAUSE = "llvm.x86.sse2.pause" if platform.machine().lower() in ("x86_64", "amd64", "i686", "x86") else None


@intrinsic
def cpu_pause(typingctx):
    """The spin-wait hint (x86 ``pause``: lets the core's other hyper-thread run, saves power);
    nothing on other machines."""
    def codegen(context, builder, signature, args):
        if _PAUSE is not None:
            function = cgutils.get_or_insert_function(builder.module, ir.FunctionType(ir.VoidType(), []), _PAUSE)
            builder.call(function, [])
        return context.get_dummy_value()
    return types.void(), codegen


@intrinsic
def cycle_counter(typingctx):
    """The CPU's time-stamp counter (x86 rdtsc, aarch64 cntvct): a clock readable in a few ns."""
    def codegen(context, builder, signature, args):
        function = cgutils.get_or_insert_function(builder.module, ir.FunctionType(ir.IntType(64), []),
                                                  "llvm.readcyclecounter")
        return builder.call(function, [])
    return types.int64(), codegen


@njit(cache=True)
def read_cycle_counter():
    """cycle_counter() for Python (calibration)."""
    return cycle_counter()


def ticks_per_second():
    """The cycle counter's rate, measured against time.perf_counter over ~2 ms (0 if it does not
    advance: the spins then give up at once)."""
    read_cycle_counter()  # compiled (or loaded from the cache) before timing
    start, ticks = time.perf_counter(), read_cycle_counter()
    while time.perf_counter() - start < 0.002:
        pass
    return max(0.0, (read_cycle_counter() - ticks) / (time.perf_counter() - start))


@njit(**_JIT)
def poll(state, seen, limit, leaving):
    """Wait (spinning, at most `limit` cycle-counter ticks) for state[PUBLISHED] to differ from
    `seen`; return it, having counted this thread in state[BUSY], or `seen` when the time ran out.
    `leaving`: this thread was counted busy by the previous poll and has finished that call."""
    if leaving:
        atomic_add(state, BUSY, -1)
    start = cycle_counter()
    while True:
        published = atomic_load(state, PUBLISHED)
        if published != seen:
            atomic_add(state, BUSY, 1)
            return published
        if cycle_counter() - start >= limit:
            return seen
        cpu_pause()


def part(operand, start, stop):
    """operand[start:stop] for an array, the operand itself for a scalar (inside the drivers)."""
    raise NotImplementedError("part() is only callable inside Numba kernels")


@overload(part, inline="always")
def _part(operand, start, stop):
    if isinstance(operand, types.Array):
        return lambda operand, start, stop: operand[start:stop]
    return lambda operand, start, stop: operand


_KERNELS = {}  # the kernels the drivers can run, by name (`Kernel.of`)


class Kernel:
    """A kernel as the drivers take it: a handle naming it (`Kernel.of(dispatcher)`).

    Why not the dispatcher itself: Numba types a dispatcher argument by the object's identity, so
    its on-disk cache would miss (and grow) in every process.  A Kernel is typed
    ``KernelType(module.name)``, the same in every process, which keys the same compiled driver
    each time; the driver calls that kernel directly (no function pointer)."""

    __slots__ = ("name",)

    def __init__(self, name):
        self.name = name

    @classmethod
    def of(cls, dispatcher):
        dispatcher = getattr(dispatcher, "dispatcher", None) or dispatcher  # a jit.LazyKernel: its dispatcher
        handle = _HANDLES.get(dispatcher)
        if handle is None:
            function = dispatcher.py_func
            # The name says which kernel; the digest of its bytecode keeps a driver cached for an
            # edited kernel outside this package (whose edits the package-wide cache key misses)
            # from being loaded for the new one.
            digest = hashlib.sha256(marshal.dumps(function.__code__)).hexdigest()[:16]
            name = f"{function.__module__}.{function.__qualname__}:{digest}"
            _KERNELS[name] = dispatcher
            handle = _HANDLES[dispatcher] = cls(name)
        return handle


_HANDLES = {}  # dispatcher -> its Kernel


class KernelType(types.Opaque):
    """Numba's type of a Kernel: the kernel's name is part of the type (and so of the cache key)."""

    def __init__(self, kernel_name):
        self.kernel_name = kernel_name
        super().__init__(name=f"Kernel({kernel_name})")


@typeof_impl.register(Kernel)
def _typeof_kernel(kernel, context):
    return KernelType(kernel.name)


register_model(KernelType)(models.OpaqueModel)


@unbox(KernelType)
def _unbox_kernel(typ, obj, c):
    # Nothing to carry at run time: the type says which kernel it is.
    return NativeValue(c.context.get_dummy_value())


def run_chunk(kernel, out, operands, params, start, stop):
    """kernel(out[start:stop], *(part(o, start, stop) for o in operands), *params), for 1 to 4
    operands (inside the drivers)."""
    raise NotImplementedError("run_chunk() is only callable inside Numba kernels")


@intrinsic
def call_apart(typingctx, handle, arguments):
    """``kernel(*arguments)`` for the kernel `handle` names, as a call LLVM must not inline.

    Why: inlined into the driver's claiming loop, a kernel's vectorized loop was compiled with
    its constants reloaded from memory on every iteration instead of kept in registers, and
    ran 20-30% slower than the same kernel called directly (sigmoid and tanh forward on 1M
    float32, AMD EPYC Zen 1, AVX2).  A call of its own keeps the kernel's code exactly as it is
    when called directly; a call costs nanoseconds against a chunk's tens of microseconds."""
    if not isinstance(handle, KernelType) or not isinstance(arguments, types.BaseTuple):
        return None
    dispatcher = _KERNELS[handle.kernel_name]
    argument_types = tuple(arguments)
    dispatcher.compile(argument_types)  # the kernel's own compilation (or its cached one)

    def codegen(context, builder, signature, args):
        compiled = dispatcher.overloads[argument_types]
        context.add_linking_libs([compiled.library])
        values = [builder.extract_value(args[1], i) for i in range(len(argument_types))]
        function = context.declare_function(builder.module, compiled.fndesc)
        status, _ = context.call_conv.call_function(builder, function, compiled.signature.return_type,
                                                   compiled.signature.args, values)
        for instruction in builder.block.instructions:
            if isinstance(instruction, ir.CallInstr) and instruction.callee is function:
                instruction.attributes.add("noinline")
        # The kernels raise nothing (see `drive`), unless a user turns Numba's bounds checks on:
        # an exception then leaves the driver, as it would from an inlined call.
        with cgutils.if_unlikely(builder, status.is_error):
            context.call_conv.return_status_propagate(builder, status)
        return context.get_dummy_value()

    return types.none(handle, arguments), codegen


@overload(run_chunk, inline="always")
def _run_chunk(handle, out, operands, params, start, stop):
    if not isinstance(handle, KernelType):
        return None
    # One spelled-out call per operand count: a tuple of mixed arrays and scalars cannot be
    # sliced in a loop.
    if len(operands) == 1:
        def one(handle, out, operands, params, start, stop):
            call_apart(handle, (out[start:stop], part(operands[0], start, stop)) + params)
        return one
    if len(operands) == 2:
        def two(handle, out, operands, params, start, stop):
            call_apart(handle, (out[start:stop], part(operands[0], start, stop),
                                part(operands[1], start, stop)) + params)
        return two
    if len(operands) == 3:
        def three(handle, out, operands, params, start, stop):
            call_apart(handle, (out[start:stop], part(operands[0], start, stop), part(operands[1], start, stop),
                                part(operands[2], start, stop)) + params)
        return three
    if len(operands) == 4:
        def four(handle, out, operands, params, start, stop):
            call_apart(handle, (out[start:stop], part(operands[0], start, stop), part(operands[1], start, stop),
                                part(operands[2], start, stop), part(operands[3], start, stop)) + params)
        return four
    return None


@njit(**_JIT)
def drive(kernel, counters, bounds, out, operands, params, state, caller_wait):
    """Run ``kernel(out[a:b], *(operand[a:b] for operand in operands), *params)`` for every chunk
    [a, b) of `bounds` (slices along the first axis; a scalar operand is passed whole), claiming
    chunks one at a time.  The caller (``caller_wait`` > 0 ticks) first publishes the call, and after its
    last chunk waits until every chunk is done and, for at most `caller_wait` ticks, until the
    pool's threads are back to polling; a pool thread calls it with ``caller_wait`` 0 (and
    leaves at once when the call's helper seats are taken)."""
    if caller_wait > 0:
        atomic_add(state, PUBLISHED, 1)
    elif atomic_add(counters, 2, -1) <= 0:  # no seat left for another helper
        return
    chunks = bounds.size - 1
    while True:
        index = atomic_add(counters, 0, 1)
        if index >= chunks:
            break
        run_chunk(kernel, out, operands, params, bounds[index], bounds[index + 1])
        atomic_add(counters, 1, 1)
    if caller_wait <= 0:
        return
    while atomic_load(counters, 1) < chunks:  # a pool thread is finishing a chunk it claimed
        cpu_pause()
    start = cycle_counter()
    while atomic_load(state, BUSY) > 0 and cycle_counter() - start < caller_wait:
        cpu_pause()


def _fingerprint(value):
    """What Numba's type of a driver argument depends on, read cheaply; None: not a kind the
    entry-point cache knows (the dispatcher then types it)."""
    kind = value.__class__
    if kind is np.ndarray:
        flags = value.flags
        return value.dtype.str, value.ndim, flags.c_contiguous, flags.f_contiguous, flags.writeable, flags.aligned
    if kind is float or kind is bool:
        return kind
    if kind is int:
        return kind if -(1 << 63) <= value < (1 << 63) else None
    if isinstance(value, np.generic):
        return value.dtype.str
    return None


_ENTRIES = {}  # (kernel name, fingerprints of out, operands, params) -> drive's compiled entry point


def driver_for(kernel, out, operands, params):
    """`drive` itself, or, once it has been compiled for arguments like these, its compiled entry
    point, which takes them without typing them again.  The dispatcher types each call's
    arguments in Python: ~11 us here (a first-generation Zen EPYC), and ~80 us right after a
    large kernel has pushed the dispatcher's own data out of the caches, against ~10 us for
    the entry point.  The key holds everything Numba's types of these arguments depend on
    (dtype, dimensions, layout, writeability, alignment; the kernel's name); the driver's other
    arguments are always the same types (int64 arrays made here, an int)."""
    key = [kernel.name, _fingerprint(out)]
    for value in operands:
        key.append(_fingerprint(value))
    key.append(len(operands))
    for value in params:
        key.append(_fingerprint(value))
    if None in key:
        return drive
    key = tuple(key)
    entry = _ENTRIES.get(key)
    if entry is None:
        entry = _ENTRIES[key] = _Compiled()
    return entry.function


class _Compiled:
    """An entry-point cache slot: the dispatcher until the first call through it has compiled
    (or loaded) the signature, then that signature's entry point."""

    __slots__ = ("function",)

    def __init__(self):
        self.function = self.first_call

    def first_call(self, *args):
        drive(*args)
        signature = tuple(drive.typeof_pyval(value) for value in args)
        compiled = drive.overloads.get(signature)
        if compiled is not None:
            self.function = compiled.entry_point


def new_state():
    """The pool's shared slots (PUBLISHED, BUSY), zeroed."""
    return np.zeros(STATE_SLOTS, np.int64)


def new_counters(helpers):
    """A call's counters: no chunk claimed or done yet, `helpers` pool threads may join."""
    return np.array([0, 0, helpers], np.int64)


def as_bounds(bounds):
    """Chunk boundaries as the int64 array the drivers read."""
    return np.asarray(bounds, np.int64)


@njit(**_JIT)
def publish(state):
    """Announce a call to the polling threads (from Python: a call whose chunks are run there)."""
    atomic_add(state, PUBLISHED, 1)
