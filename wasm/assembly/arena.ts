// Buffers that JavaScript reads and writes in place (REFERENCE §5: no copies across the boundary).
//
// The arena is one static block reserved at compile time, so it lies inside the initial memory
// and memory never has to grow: a grow would detach every Float64Array view JavaScript holds.
// It is a bump allocator that never frees: kernels' buffers are taken once, at start.
// Nothing in wasm/assembly may use `new` (the stub runtime would then grow the heap past the
// arena); kernels work on raw pointers from here with load<T>/store<T>.

/**
 * Arena size in bytes: 8 MiB, about 1 000 f64 per device for a node with a few thousand devices
 * (a filter channel with a 9-sample window takes about 20). Memory is 130 pages (asconfig.json):
 * the arena plus the module's static data.
 */
export const ARENA_BYTES: usize = 8 << 20;

const arenaStart: usize = memory.data(<i32>ARENA_BYTES, 16);
let arenaTop: usize = arenaStart;

/** Reserves `bytes` (rounded up to 16) and returns its address, or 0 if the arena is full. */
export function arenaAlloc(bytes: i32): usize {
  if (bytes <= 0) return 0;
  const size = (<usize>bytes + 15) & ~(<usize>15);
  if (size > arenaBytesFree()) return 0;
  const ptr = arenaTop;
  arenaTop += size;
  return ptr;
}

/** Bytes still free in the arena. */
export function arenaBytesFree(): usize {
  return arenaStart + ARENA_BYTES - arenaTop;
}
