//! A binary buddy allocator over a pool of [`LEAVES`] minimum-size blocks.
//!
//! Blocks are powers of two of the minimum size, aligned to their size,
//! which is what an MPU region needs (Cortex-M: a power of two aligned to
//! itself; RISC-V PMP accepts it too). Freed blocks merge with their free
//! buddy at once, so free space never stays split: external fragmentation
//! is bounded (any free aligned block of a size is always available), and
//! the price is internal fragmentation of up to half a block for sizes
//! that are not a power of two. Allocation is first fit from the low end,
//! so long-lived blocks cluster low and large blocks stay free high.
//!
//! The tree has one node per block: `2 * LEAVES - 1` nodes, one byte each.

/// Minimum blocks in the pool (the tree's leaves).
pub const LEAVES: usize = 1024;
const NODES: usize = 2 * LEAVES - 1;
/// Orders: 0 is a leaf, `MAX_ORDER` the whole pool.
pub const MAX_ORDER: u8 = LEAVES.trailing_zeros() as u8;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Node {
    Free,
    Split,
    Used,
}

/// Free/used state of the blocks of one pool; offsets are in leaves.
pub struct Buddy {
    nodes: [Node; NODES],
    used_leaves: usize,
}

impl Default for Buddy {
    fn default() -> Self {
        Self::new()
    }
}

impl Buddy {
    pub const fn new() -> Self {
        let mut nodes = [Node::Split; NODES];
        nodes[0] = Node::Free;
        Buddy { nodes, used_leaves: 0 }
    }

    /// Leaves in use.
    pub fn used(&self) -> usize {
        self.used_leaves
    }

    /// The smallest order holding `leaves` leaves; `None` above the pool.
    pub fn order_for(leaves: usize) -> Option<u8> {
        let order = leaves.max(1).next_power_of_two().trailing_zeros() as u8;
        (order <= MAX_ORDER).then_some(order)
    }

    /// Allocates a block of `order`; returns its offset in leaves.
    pub fn alloc(&mut self, order: u8) -> Option<usize> {
        if order > MAX_ORDER {
            return None;
        }
        let offset = self.alloc_at(0, MAX_ORDER, order)?;
        self.used_leaves += 1 << order;
        Some(offset)
    }

    fn alloc_at(&mut self, node: usize, node_order: u8, order: u8) -> Option<usize> {
        match self.nodes[node] {
            Node::Used => None,
            Node::Free if node_order == order => {
                self.nodes[node] = Node::Used;
                Some(self.offset_of(node, node_order))
            }
            Node::Free => {
                // Split, then take from the left half.
                self.nodes[node] = Node::Split;
                self.nodes[2 * node + 1] = Node::Free;
                self.nodes[2 * node + 2] = Node::Free;
                self.alloc_at(2 * node + 1, node_order - 1, order)
            }
            Node::Split if node_order == order => None,
            Node::Split => self
                .alloc_at(2 * node + 1, node_order - 1, order)
                .or_else(|| self.alloc_at(2 * node + 2, node_order - 1, order)),
        }
    }

    /// Offset in leaves of `node`, whose order is `order`.
    fn offset_of(&self, node: usize, order: u8) -> usize {
        let depth = (MAX_ORDER - order) as usize;
        let first_at_depth = (1 << depth) - 1;
        (node - first_at_depth) << order
    }

    /// Frees the block of `order` at `offset`; `false` if it is not an
    /// allocated block.
    pub fn free(&mut self, offset: usize, order: u8) -> bool {
        if order > MAX_ORDER || !offset.is_multiple_of(1 << order) || offset >= LEAVES {
            return false;
        }
        let depth = (MAX_ORDER - order) as usize;
        let mut node = (1 << depth) - 1 + (offset >> order);
        if self.nodes[node] != Node::Used {
            return false;
        }
        self.nodes[node] = Node::Free;
        self.used_leaves -= 1 << order;
        // Merge with the buddy for as long as both halves are free.
        while node > 0 {
            let parent = (node - 1) / 2;
            if self.nodes[2 * parent + 1] == Node::Free && self.nodes[2 * parent + 2] == Node::Free {
                self.nodes[parent] = Node::Free;
                node = parent;
            } else {
                break;
            }
        }
        true
    }

    /// The largest order that can be allocated now.
    pub fn largest_free(&self) -> Option<u8> {
        (0..=MAX_ORDER).rev().find(|&o| self.has_free(0, MAX_ORDER, o))
    }

    fn has_free(&self, node: usize, node_order: u8, order: u8) -> bool {
        match self.nodes[node] {
            Node::Used => false,
            Node::Free => node_order >= order,
            Node::Split => {
                node_order > order
                    && (self.has_free(2 * node + 1, node_order - 1, order)
                        || self.has_free(2 * node + 2, node_order - 1, order))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::vec::Vec;

    #[test]
    fn whole_pool_then_nothing() {
        let mut b = Buddy::new();
        assert_eq!(b.alloc(MAX_ORDER), Some(0));
        assert_eq!(b.alloc(0), None);
        assert!(b.free(0, MAX_ORDER));
        assert_eq!(b.used(), 0);
        assert_eq!(b.largest_free(), Some(MAX_ORDER));
    }

    #[test]
    fn blocks_are_aligned_to_their_size() {
        let mut b = Buddy::new();
        let small = b.alloc(0).unwrap();
        let big = b.alloc(6).unwrap();
        let mid = b.alloc(3).unwrap();
        for (off, order) in [(small, 0), (big, 6), (mid, 3)] {
            assert_eq!(off % (1 << order), 0, "offset {} order {}", off, order);
        }
        assert!(small < mid || mid + 8 <= small);
        assert_eq!(b.used(), 1 + 64 + 8);
    }

    #[test]
    fn freeing_merges_buddies_back() {
        let mut b = Buddy::new();
        let blocks: Vec<usize> = (0..LEAVES).map(|_| b.alloc(0).unwrap()).collect();
        assert_eq!(b.alloc(0), None, "pool full");
        assert_eq!(b.largest_free(), None);
        for &off in blocks.iter().rev() {
            assert!(b.free(off, 0));
        }
        assert_eq!(b.used(), 0);
        assert_eq!(b.alloc(MAX_ORDER), Some(0), "everything merged back");
    }

    #[test]
    fn double_and_bogus_frees_are_refused() {
        let mut b = Buddy::new();
        let a = b.alloc(2).unwrap();
        assert!(!b.free(a, 1), "wrong order");
        assert!(!b.free(a + 1, 2), "misaligned");
        assert!(b.free(a, 2));
        assert!(!b.free(a, 2), "double free");
        assert!(!b.free(LEAVES * 2, 0));
    }

    #[test]
    fn fragmentation_is_bounded() {
        let mut b = Buddy::new();
        // Take every other leaf: half the pool is free, but only in leaves.
        let all: Vec<usize> = (0..LEAVES).map(|_| b.alloc(0).unwrap()).collect();
        for off in all.iter().filter(|o| *o % 2 == 1) {
            b.free(*off, 0);
        }
        assert_eq!(b.largest_free(), Some(0));
        // Free the rest of one aligned 8-leaf block: it merges at once.
        for off in [0, 2, 4, 6] {
            b.free(off, 0);
        }
        assert_eq!(b.largest_free(), Some(3));
        assert_eq!(b.alloc(3), Some(0));
    }

    #[test]
    fn order_for_rounds_up() {
        assert_eq!(Buddy::order_for(1), Some(0));
        assert_eq!(Buddy::order_for(3), Some(2));
        assert_eq!(Buddy::order_for(LEAVES), Some(MAX_ORDER));
        assert_eq!(Buddy::order_for(LEAVES + 1), None);
    }
}
