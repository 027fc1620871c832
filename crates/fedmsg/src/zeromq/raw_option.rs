//! The two libzmq socket options the `zmq` bindings do not wrap, set through libzmq's C API.

use std::os::raw::{c_int, c_void};

/// `ZMQ_XPUB_NODROP` (libzmq ≥ 4.1): a full subscriber queue makes a non-blocking send fail with
/// `EAGAIN` instead of dropping the message silently, so the publisher can count it.
pub(super) const XPUB_NODROP: c_int = 69;
/// `ZMQ_XPUB_VERBOSER` (libzmq ≥ 4.2): every subscribe and unsubscribe reaches the XPUB, so it
/// can count subscribers, several with the same prefix included.
pub(super) const XPUB_VERBOSER: c_int = 78;

/// Sets an integer option on `socket`.
#[allow(unsafe_code)]
pub(super) fn set_int(socket: &mut zmq::Socket, option: c_int, value: c_int) -> zmq::Result<()> {
    // SAFETY: `as_mut_ptr` is the live socket `socket` owns (the borrow keeps it alive and
    // unshared); the value pointer and length describe one `c_int` on the stack, which libzmq
    // copies before returning, as zmq_setsockopt(3) specifies for integer options.
    let rc = unsafe {
        zmq_sys::zmq_setsockopt(
            socket.as_mut_ptr(),
            option,
            std::ptr::from_ref(&value).cast::<c_void>(),
            std::mem::size_of::<c_int>(),
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        // SAFETY: reads libzmq's thread-local errno of the call above; no pointers involved.
        Err(zmq::Error::from_raw(unsafe { zmq_sys::zmq_errno() }))
    }
}
