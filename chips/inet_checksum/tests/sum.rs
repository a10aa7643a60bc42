//! The word-at-a-time sum equals RFC 1071's plain one (16-bit big-endian
//! words) for every start offset within a word and every length.

fn reference(data: &[u8]) -> u16 {
    let mut sum = 0u32;
    for pair in data.chunks(2) {
        sum += u16::from_be_bytes([pair[0], *pair.get(1).unwrap_or(&0)]) as u32;
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    sum as u16
}

#[test]
fn sums_match_rfc_1071_for_every_offset_and_length() {
    let data: Vec<u8> = (0..2000u32).map(|i| (i * 131 + (i >> 5)) as u8).collect();
    for offset in 0..4 {
        for len in 0..260 {
            let bytes = &data[offset..offset + len];
            assert_eq!(inet_checksum::ones_complement_sum(bytes), reference(bytes), "offset {offset}, {len} bytes");
        }
    }
    let frame = &data[2..2 + 1480];
    assert_eq!(inet_checksum::ones_complement_sum(frame), reference(frame));
}

#[test]
fn all_ones_words_fold_their_carries() {
    let data = vec![0xffu8; 1500];
    assert_eq!(inet_checksum::ones_complement_sum(&data), 0xffff);
    let data = [0x80, 0x00, 0x80, 0x00, 0x00, 0x01];
    assert_eq!(inet_checksum::ones_complement_sum(&data), 0x0002);
}
