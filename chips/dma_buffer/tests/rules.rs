//! Region, alignment and cache-maintenance rules of DMA buffers.

use std::sync::Mutex;

use dma_buffer::{CacheMaintenance, Coherent, DmaError, DmaPool, DmaRegion};

#[repr(C, align(64))]
struct Mem([u8; 4096]);

fn leak() -> &'static mut [u8] {
    &mut Box::leak(Box::new(Mem([0; 4096]))).0[..]
}

fn region_of(mem: &[u8]) -> DmaRegion<Coherent> {
    unsafe { DmaRegion::new(mem.as_ptr() as usize, mem.len()) }
}

#[test]
fn buffer_inside_and_aligned_is_accepted() {
    let mem = leak();
    let region = region_of(mem);
    let (a, _) = mem.split_at_mut(512);
    let buf = region.buffer(a).ok().unwrap();
    assert_eq!(buf.len(), 512);
}

#[test]
fn buffer_outside_window_is_refused() {
    let window = leak();
    let region = region_of(&window[..2048]);
    let (_, beyond) = window.split_at_mut(2048);
    let addr = beyond.as_ptr() as usize;
    match region.buffer(&mut beyond[..64]) {
        Err((DmaError::OutsideRegion { addr: a, len: 64, .. }, back)) => {
            assert_eq!(a, addr);
            assert_eq!(back.len(), 64, "the refused slice comes back whole");
        }
        Err((e, _)) => panic!("expected OutsideRegion, got {:?}", e),
        Ok(_) => panic!("memory outside the window was accepted"),
    }
}

#[test]
fn buffer_straddling_the_end_is_refused() {
    let window = leak();
    let region = region_of(&window[..2048]);
    let straddle = &mut window[2016..2080];
    assert!(matches!(region.buffer(straddle), Err((DmaError::OutsideRegion { .. }, _))));
}

#[test]
fn misaligned_start_or_length_is_refused() {
    let mem = leak();
    let region = region_of(mem);
    let (_, rest) = mem.split_at_mut(16);
    let (odd_start, rest) = rest.split_at_mut(64);
    assert!(matches!(region.buffer(odd_start), Err((DmaError::Misaligned { line: 32, .. }, _))));
    let (_, rest) = rest.split_at_mut(16); // back on a 32-byte line
    let (odd_len, _) = rest.split_at_mut(40);
    assert!(matches!(region.buffer(odd_len), Err((DmaError::Misaligned { len: 40, .. }, _))));
}

#[test]
fn empty_buffer_is_refused() {
    let mem = leak();
    let region = region_of(mem);
    assert!(matches!(region.buffer(&mut mem[..0]), Err((DmaError::Empty, _))));
}

#[test]
fn check_does_not_overflow_at_top_of_address_space() {
    let region: DmaRegion<Coherent> = unsafe { DmaRegion::new(0x2400_0000, 0x5_0000) };
    assert!(matches!(region.check(usize::MAX - 31, 64), Err(DmaError::OutsideRegion { .. })));
    assert_eq!(region.check(0x2400_0000, 0x5_0000), Ok(()));
    assert!(region.check(0x2400_0000, 0x5_0020).is_err());
}

#[test]
fn pool_rounds_to_cache_lines_and_accounts() {
    let mem = leak();
    let region = region_of(mem);
    let mut pool = DmaPool::new(region, mem).unwrap();
    assert_eq!(pool.capacity(), 4096);
    let a = pool.alloc(1).unwrap();
    let b = pool.alloc(1526).unwrap();
    assert_eq!(a.len(), 32);
    assert_eq!(b.len(), 1536);
    assert_eq!(pool.used(), 32 + 1536);
    assert_eq!(b.as_slice().as_ptr() as usize % 32, 0);
}

#[test]
fn pool_reports_exhaustion() {
    let mem = leak();
    let region = region_of(mem);
    let mut pool = DmaPool::new(region, mem).unwrap();
    pool.alloc(4000).unwrap();
    assert_eq!(pool.alloc(100).err(), Some(DmaError::Exhausted { wanted: 128, left: 96 }));
    assert_eq!(pool.alloc(0).err(), Some(DmaError::Empty));
}

#[test]
fn pool_over_memory_outside_region_is_refused() {
    let mem = leak();
    let region: DmaRegion<Coherent> = unsafe { DmaRegion::new(0x1000, 0x1000) };
    assert!(matches!(DmaPool::new(region, mem), Err(DmaError::OutsideRegion { .. })));
}

#[test]
fn split_keeps_both_halves_on_cache_lines() {
    let mem = leak();
    let region = region_of(mem);
    let buf = region.buffer(&mut mem[..96]).ok().unwrap();
    let buf = buf.split_at(40).err().expect("40 is not a line boundary");
    let (a, b) = buf.split_at(32).ok().unwrap();
    assert_eq!((a.len(), b.len()), (32, 64));
}

// A cache that records what it was asked to do.
static LOG: Mutex<Vec<(&'static str, usize, usize)>> = Mutex::new(Vec::new());
struct Recording;
impl CacheMaintenance for Recording {
    const LINE: usize = 32;
    fn clean(addr: usize, len: usize) {
        LOG.lock().unwrap().push(("clean", addr, len));
    }
    fn invalidate(addr: usize, len: usize) {
        LOG.lock().unwrap().push(("invalidate", addr, len));
    }
}

#[test]
fn handing_to_device_cleans_and_reclaiming_invalidates() {
    let mem = leak();
    let region: DmaRegion<Recording> = unsafe { DmaRegion::new(mem.as_ptr() as usize, mem.len()) };
    let buf = region.buffer(&mut mem[..512]).ok().unwrap();
    let addr = buf.as_slice().as_ptr() as usize;
    let raw = buf.into_device();
    let back = region.reclaim(raw).ok().unwrap();
    assert_eq!(back.len(), 512);
    let log: Vec<_> = LOG.lock().unwrap().iter().filter(|e| e.1 == addr).cloned().collect();
    assert_eq!(log, vec![("clean", addr, 512), ("invalidate", addr, 512)]);
}
