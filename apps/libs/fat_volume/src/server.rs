//! The dispatcher: one request message in, one reply message out, never a panic.

use proto_storage::{
    authorize, normalize, Done, Error, Label, ListingWriter, NotMounted, Request, Response, Rule, VolumeStatus,
    DATA_OFFSET, RULES,
};

use crate::clock::{Clock, NoClock};
use crate::device::BlockDevice;
use crate::volume::{FatVolume, Options};

enum State<B: BlockDevice + 'static, C: Clock + 'static> {
    Mounted(FatVolume<B, C>),
    Unmounted { device: Option<B>, why: NotMounted },
}

/// The storage service's logic: decodes, checks the policy, runs, encodes.
///
/// The app owns the IPC: for each message it calls [`handle`](Self::handle)
/// with the sender's kernel-reported app name and process id, and sends the
/// reply bytes back; when a client process ends it calls
/// [`client_gone`](Self::client_gone).
pub struct StorageServer<B: BlockDevice + 'static, C: Clock + Clone + 'static = NoClock> {
    state: State<B, C>,
    clock: C,
    options: Options,
    rules: &'static [Rule],
    /// The volume changed since it was last left clean on the device.
    changed: bool,
    /// Changes readers can see, so far: see [`generation`](Self::generation).
    generation: u32,
}

impl<B: BlockDevice + 'static, C: Clock + Clone + 'static> StorageServer<B, C> {
    /// Mounts `device` if there is one (never formats) with the board's [`RULES`].
    pub fn new(device: Option<B>, clock: C) -> Self {
        StorageServer::with_options(device, clock, Options::default(), RULES)
    }

    /// Like [`new`](Self::new) with explicit cache options and policy table.
    pub fn with_options(device: Option<B>, clock: C, options: Options, rules: &'static [Rule]) -> Self {
        let state = match device {
            Some(d) => mount(d, clock.clone(), options),
            None => State::Unmounted { device: None, why: NotMounted::NoDevice },
        };
        // A volume not cleanly unmounted before is settled (made clean) too.
        let changed = matches!(&state, State::Mounted(vol) if vol.recovered());
        StorageServer { state, clock, options, rules, changed, generation: 0 }
    }

    /// A server that leaves `device` alone: the service died inside volume
    /// code `restarts` times in a row (see [`RestartNote`](crate::RestartNote)).
    /// Every request but `VolumeStatus` gets `NotMounted`; the status says
    /// `Faulty`. `Format` still works: it only writes, and mounts the result.
    pub fn faulty(device: B, clock: C, restarts: u8) -> Self {
        StorageServer {
            state: State::Unmounted { device: Some(device), why: NotMounted::Faulty { restarts } },
            clock,
            options: Options::default(),
            rules: RULES,
            changed: false,
            generation: 0,
        }
    }

    /// Counts completed changes a reader could see: a file written and
    /// closed, a file or directory made, removed or renamed, a format, the
    /// files of a client that went away closed. (Writes to a file still
    /// open do not count until it is closed.) A service announces a new
    /// value to its readers, so they can drop what they keep of the volume.
    pub fn generation(&self) -> u32 {
        self.generation
    }

    /// Handles one request from `client_name` (process `client_id`); returns the reply length.
    ///
    /// `reply` should hold [`MAX_MESSAGE`](proto_storage::MAX_MESSAGE) bytes;
    /// 0 is returned only if it cannot even hold an error reply.
    pub fn handle(&mut self, client_name: &str, client_id: u32, request: &[u8], reply: &mut [u8]) -> usize {
        let result = match Request::parse(request) {
            Err(e) => Err(Error::from(e)),
            Ok(req) => {
                self.changed |= may_change(&req);
                authorize(self.rules, client_name, &req).and_then(|()| self.run(client_id, &req, reply))
            }
        };
        match result {
            Ok(n) => n,
            Err(e) => Response::Error(e).emit(reply).unwrap_or(0),
        }
    }

    /// Leaves the volume clean on the device if it changed (or was found
    /// not cleanly unmounted at mount) and no file is open: writes
    /// everything back and clears the FAT "dirty" flag (by unmounting and
    /// mounting again; rust-fatfs clears it only on unmount).
    /// Call it when the service is idle, so a power cut or a reset then
    /// finds a volume `fsck` calls clean. Returns whether it did.
    pub fn settle(&mut self) -> bool {
        let State::Mounted(vol) = &mut self.state else {
            return false;
        };
        if !self.changed || vol.open_files() != 0 {
            return false;
        }
        let placeholder = State::Unmounted { device: None, why: NotMounted::NoDevice };
        let State::Mounted(vol) = core::mem::replace(&mut self.state, placeholder) else {
            return false;
        };
        let device = match vol.unmount() {
            Ok(d) => d,
            // Data could not be written back: keep the device, report I/O.
            Err((_, d)) => {
                self.state = State::Unmounted { device: Some(d), why: NotMounted::Io };
                return false;
            }
        };
        self.state = mount(device, self.clock.clone(), self.options);
        self.changed = false;
        true
    }

    /// Closes every handle of a client whose process ended.
    pub fn client_gone(&mut self, client_id: u32) {
        if let State::Mounted(vol) = &mut self.state {
            if vol.close_all(client_id) > 0 {
                self.generation = self.generation.wrapping_add(1);
            }
        }
    }

    /// Mounted or not, and why.
    pub fn status(&self) -> VolumeStatus {
        match &self.state {
            State::Mounted(vol) => VolumeStatus::Mounted { label: vol.label(), stats: vol.stats() },
            State::Unmounted { why, .. } => VolumeStatus::NotMounted(*why),
        }
    }

    /// The mounted volume, for the app's own use (e.g. a periodic flush).
    pub fn volume(&mut self) -> Option<&mut FatVolume<B, C>> {
        match &mut self.state {
            State::Mounted(vol) => Some(vol),
            State::Unmounted { .. } => None,
        }
    }

    /// Unmounts cleanly and gives the device back (with the unmount result).
    pub fn shutdown(self) -> (Option<B>, Result<(), Error>) {
        match self.state {
            State::Mounted(vol) => match vol.unmount() {
                Ok(d) => (Some(d), Ok(())),
                Err((e, d)) => (Some(d), Err(e)),
            },
            State::Unmounted { device, .. } => (device, Ok(())),
        }
    }

    fn run(&mut self, client: u32, req: &Request<'_>, reply: &mut [u8]) -> Result<usize, Error> {
        let emit = |resp: Response<'_>, reply: &mut [u8]| resp.emit(reply).map_err(|_| Error::BadRequest);
        match *req {
            Request::VolumeStatus => return emit(Response::Status(self.status()), reply),
            Request::Format { label } => {
                let formatted = self.format(label);
                // Even a failed format may have changed the volume.
                self.generation = self.generation.wrapping_add(1);
                formatted?;
                return emit(Response::Done(Done::Formatted), reply);
            }
            _ => {}
        }
        let State::Mounted(vol) = &mut self.state else {
            return Err(Error::NotMounted);
        };
        let generation = &mut self.generation;
        let mut changed = || *generation = generation.wrapping_add(1);
        let resp = match *req {
            Request::Open { path, mode } => Response::Opened(vol.open(client, &normalize(path)?, mode)?),
            Request::Read { handle, max_len } => {
                // Straight into the reply: no second 4 KiB buffer.
                let end = DATA_OFFSET + max_len.get();
                let buf = reply.get_mut(DATA_OFFSET..end).ok_or(Error::BadRequest)?;
                let n = vol.read(client, handle, buf)?;
                return Response::emit_data_header(reply, n).map_err(|_| Error::BadRequest);
            }
            Request::Write { handle, data } => {
                let n = vol.write(client, handle, data.as_bytes())?;
                // n <= data.len() <= MAX_DATA fits u16.
                Response::Written(n as u16)
            }
            Request::Seek { handle, offset } => Response::Position(vol.seek(client, handle, offset)?),
            Request::Close { handle } => {
                if vol.close(client, handle)? {
                    changed();
                }
                Response::Done(Done::Closed)
            }
            Request::Stat { path } => Response::Metadata(vol.stat(&normalize(path)?)?),
            Request::List { path, cursor } => {
                let path = normalize(path)?;
                let mut page = ListingWriter::new(reply).map_err(|_| Error::BadRequest)?;
                let next = vol.list(&path, cursor, |e| page.push(e))?;
                return Ok(page.finish(next));
            }
            Request::MakeDir { path } => {
                vol.make_dir(&normalize(path)?)?;
                changed();
                Response::Done(Done::MadeDir)
            }
            Request::RemoveDir { path } => {
                vol.remove_dir(&normalize(path)?)?;
                changed();
                Response::Done(Done::RemovedDir)
            }
            Request::Delete { path } => {
                vol.delete(&normalize(path)?)?;
                changed();
                Response::Done(Done::Deleted)
            }
            Request::Rename { from, to } => {
                vol.rename(&normalize(from)?, &normalize(to)?)?;
                changed();
                Response::Done(Done::Renamed)
            }
            Request::FreeSpace => Response::FreeSpace(vol.free_space()?),
            // Answered above.
            Request::VolumeStatus | Request::Format { .. } => return Err(Error::BadRequest),
        };
        emit(resp, reply)
    }

    /// Unmounts (closing every handle), formats, mounts again.
    fn format(&mut self, label: Label) -> Result<(), Error> {
        let placeholder = State::Unmounted { device: None, why: NotMounted::NoDevice };
        let device = match core::mem::replace(&mut self.state, placeholder) {
            // The old contents are about to go: an unmount error does not matter.
            State::Mounted(vol) => vol.unmount().unwrap_or_else(|(_, d)| d),
            State::Unmounted { device: Some(d), .. } => d,
            State::Unmounted { device: None, why } => {
                self.state = State::Unmounted { device: None, why };
                return Err(Error::NotMounted);
            }
        };
        // Volume ids only need to differ between formats; the clock is good enough.
        let volume_id = self.clock.now() ^ 0x5354_4F52;
        let (device, formatted) = match FatVolume::<B, C>::format(device, label, volume_id) {
            Ok(d) => (d, Ok(())),
            Err((e, d)) => (d, Err(e)),
        };
        self.state = mount(device, self.clock.clone(), self.options);
        formatted?;
        match self.state {
            State::Mounted(_) => Ok(()),
            State::Unmounted { .. } => Err(Error::Io),
        }
    }
}

fn mount<B: BlockDevice + 'static, C: Clock + 'static>(device: B, clock: C, options: Options) -> State<B, C> {
    match FatVolume::mount_with(device, clock, options) {
        Ok(vol) => State::Mounted(vol),
        Err((e, device)) => State::Unmounted { device: Some(device), why: e.reason() },
    }
}

/// Whether a request may leave the volume different on the device.
fn may_change(req: &Request<'_>) -> bool {
    !matches!(
        req,
        Request::Read { .. }
            | Request::Stat { .. }
            | Request::List { .. }
            | Request::FreeSpace
            | Request::VolumeStatus
            | Request::Seek { .. }
            | Request::Open { mode: proto_storage::OpenMode::Read, .. }
    )
}
