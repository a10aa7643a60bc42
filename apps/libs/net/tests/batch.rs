//! The transmit batch: records laid out as the kernel reads them, taken
//! in part or whole, refusing what does not fit.

use net::TxBatch;
use syscall_abi::net::batch_record_len;

#[test]
fn frames_are_records_the_kernel_reads() {
    let mut buf = [0u8; 64];
    let mut batch = TxBatch::new(&mut buf);
    assert!(batch.is_empty());
    batch.append(5).unwrap().copy_from_slice(b"hello");
    batch.append(2).unwrap().copy_from_slice(b"hi");
    let records = batch.records();
    assert_eq!(records.len(), batch_record_len(5) + batch_record_len(2));
    assert_eq!(&records[..7], b"\x05\x00hello");
    assert_eq!(&records[8..12], b"\x02\x00hi");
    assert_eq!(batch.frames(), 2);
}

#[test]
fn a_frame_that_does_not_fit_is_refused_and_the_batch_unchanged() {
    let mut buf = [0u8; 16];
    let mut batch = TxBatch::new(&mut buf);
    batch.append(10).unwrap().fill(1);
    assert!(!batch.has_room(4));
    assert!(batch.append(4).is_none());
    assert_eq!(batch.frames(), 1);
    assert_eq!(batch.records().len(), 12);
}

#[test]
fn taking_part_keeps_the_rest_in_order_and_all_starts_over() {
    let mut buf = [0u8; 24];
    let mut batch = TxBatch::new(&mut buf);
    batch.append(6).unwrap().fill(0xa);
    batch.append(6).unwrap().fill(0xb);
    batch.append(6).unwrap().fill(0xc);
    assert!(!batch.has_room(6));
    batch.taken(batch_record_len(6));
    assert_eq!(batch.frames(), 2);
    assert_eq!(&batch.records()[2..8], &[0xb; 6]);
    // Room comes back only once everything is out (records stay in place).
    assert!(!batch.has_room(6));
    batch.taken(2 * batch_record_len(6));
    assert!(batch.is_empty());
    assert!(batch.has_room(6 + 14));
}

#[test]
fn a_frame_longer_than_a_record_can_say_is_refused() {
    let mut buf = vec![0u8; 70_000];
    let mut batch = TxBatch::new(&mut buf);
    assert!(batch.append(65_536).is_none());
    batch.clear();
    assert!(batch.is_empty());
}
