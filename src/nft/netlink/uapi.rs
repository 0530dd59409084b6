//! Numbers from the kernel uapi headers (`linux/netlink.h`,
//! `linux/netfilter/nfnetlink.h`, `linux/netfilter.h`,
//! `linux/netfilter/nf_tables.h`): message types, flags, attribute types
//! and header sizes. Constants only; they must match the kernel ABI
//! exactly, so each one names the C definition it copies.

// linux/netlink.h
/// `NLMSG_ERROR`: an acknowledgement or an error.
pub const NLMSG_ERROR: u16 = 2;
/// `NLMSG_DONE`: the end of a dump.
pub const NLMSG_DONE: u16 = 3;
/// `NLM_F_REQUEST`.
pub const NLM_F_REQUEST: u16 = 0x1;
/// `NLM_F_ACK`: ask for an acknowledgement of this message.
pub const NLM_F_ACK: u16 = 0x4;
/// `NLM_F_DUMP` (`NLM_F_ROOT | NLM_F_MATCH`).
pub const NLM_F_DUMP: u16 = 0x300;
/// `NLM_F_CREATE`.
pub const NLM_F_CREATE: u16 = 0x400;
/// `NLA_F_NESTED`: the attribute holds attributes.
pub const NLA_F_NESTED: u16 = 1 << 15;
/// `NLA_F_NET_BYTEORDER`.
pub const NLA_F_NET_BYTEORDER: u16 = 1 << 14;
/// Size of `struct nlmsghdr`.
pub const NLMSG_HDRLEN: usize = 16;
/// Size of `struct nlattr`.
pub const NLA_HDRLEN: usize = 4;

// linux/netfilter/nfnetlink.h
/// `NFNL_MSG_BATCH_BEGIN` (= `NLMSG_MIN_TYPE`).
pub const NFNL_MSG_BATCH_BEGIN: u16 = 0x10;
/// `NFNL_MSG_BATCH_END`.
pub const NFNL_MSG_BATCH_END: u16 = 0x11;
/// `NFNL_SUBSYS_ULOG`: the NFLOG subsystem.
pub const NFNL_SUBSYS_ULOG: u16 = 4;
/// `NFNL_SUBSYS_NFTABLES`.
pub const NFNL_SUBSYS_NFTABLES: u16 = 10;
/// `NFNETLINK_V0`.
pub const NFNETLINK_V0: u8 = 0;
/// Size of `struct nfgenmsg`.
pub const NFGENMSG_LEN: usize = 4;

// linux/netfilter.h
/// `NFPROTO_UNSPEC`.
pub const NFPROTO_UNSPEC: u8 = 0;
/// `NFPROTO_INET`: the table family iocguard uses.
pub const NFPROTO_INET: u8 = 1;

// linux/netfilter/nf_tables.h
/// `NFT_MSG_NEWSETELEM`.
pub const NFT_MSG_NEWSETELEM: u16 = 12;
/// `NFT_MSG_GETSETELEM`.
pub const NFT_MSG_GETSETELEM: u16 = 13;
/// `NFT_MSG_DELSETELEM`.
pub const NFT_MSG_DELSETELEM: u16 = 14;
/// `NFT_MSG_GETTABLE`.
pub const NFT_MSG_GETTABLE: u16 = 1;
/// `NFT_MSG_DELTABLE`.
pub const NFT_MSG_DELTABLE: u16 = 2;
/// `NFT_MSG_GETSET`.
pub const NFT_MSG_GETSET: u16 = 10;
/// `NFTA_TABLE_HANDLE` (u64, big endian).
pub const NFTA_TABLE_HANDLE: u16 = 4;
/// `NFTA_SET_TABLE` (string).
pub const NFTA_SET_TABLE: u16 = 1;
/// `NFTA_SET_NAME` (string).
pub const NFTA_SET_NAME: u16 = 2;
/// `NFTA_SET_HANDLE` (u64, big endian).
pub const NFTA_SET_HANDLE: u16 = 16;
/// `NFT_MSG_GETOBJ`.
pub const NFT_MSG_GETOBJ: u16 = 19;
/// `NFTA_TABLE_NAME` (string).
pub const NFTA_TABLE_NAME: u16 = 1;
/// `NFTA_OBJ_TABLE` (string).
pub const NFTA_OBJ_TABLE: u16 = 1;
/// `NFTA_OBJ_NAME` (string).
pub const NFTA_OBJ_NAME: u16 = 2;
/// `NFTA_OBJ_TYPE` (u32, big endian).
pub const NFTA_OBJ_TYPE: u16 = 3;
/// `NFTA_OBJ_DATA` (nested, per type).
pub const NFTA_OBJ_DATA: u16 = 4;
/// `NFT_OBJECT_COUNTER`.
pub const NFT_OBJECT_COUNTER: u32 = 1;
/// `NFTA_COUNTER_BYTES` (u64, big endian).
pub const NFTA_COUNTER_BYTES: u16 = 1;
/// `NFTA_COUNTER_PACKETS` (u64, big endian).
pub const NFTA_COUNTER_PACKETS: u16 = 2;
/// `NFTA_SET_ELEM_LIST_TABLE` (string).
pub const NFTA_SET_ELEM_LIST_TABLE: u16 = 1;
/// `NFTA_SET_ELEM_LIST_SET` (string).
pub const NFTA_SET_ELEM_LIST_SET: u16 = 2;
/// `NFTA_SET_ELEM_LIST_ELEMENTS` (nested list).
pub const NFTA_SET_ELEM_LIST_ELEMENTS: u16 = 3;
/// `NFTA_LIST_ELEM`: one element of a list.
pub const NFTA_LIST_ELEM: u16 = 1;
/// `NFTA_SET_ELEM_KEY` (nested `nft_data`).
pub const NFTA_SET_ELEM_KEY: u16 = 1;
/// `NFTA_SET_ELEM_FLAGS` (u32, big endian).
pub const NFTA_SET_ELEM_FLAGS: u16 = 3;
/// `NFTA_SET_ELEM_TIMEOUT` (u64 milliseconds, big endian).
pub const NFTA_SET_ELEM_TIMEOUT: u16 = 4;
/// `NFTA_DATA_VALUE` (binary).
pub const NFTA_DATA_VALUE: u16 = 1;
/// `NFT_SET_ELEM_INTERVAL_END`: the element closes the interval before it.
pub const NFT_SET_ELEM_INTERVAL_END: u32 = 0x1;
