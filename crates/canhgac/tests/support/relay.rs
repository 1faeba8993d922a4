//! A loopback TCP relay between agents and the server, for outage tests: it forwards bytes both ways, and can hold
//! the first request whose bytes contain a marker (such as `/result HTTP/1.1`), unforwarded, until the test has
//! killed the server; the held connection is then closed, as a server that died mid-request leaves it.

use std::io::{Read as _, Write as _};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Default)]
struct Shared {
    marker: Mutex<Option<Vec<u8>>>,
    held: AtomicUsize,
    released: AtomicBool,
}

/// A running relay; its address is what the agents are given as the server.
pub struct Relay {
    pub url: String,
    shared: Arc<Shared>,
}

impl Relay {
    /// Listens on a free loopback port and forwards every connection to `upstream` (`127.0.0.1:PORT`).
    pub fn start(upstream: &str) -> Relay {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let shared = Arc::new(Shared::default());
        let upstream = upstream.to_string();
        let s = shared.clone();
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let Ok(server) = TcpStream::connect(&upstream) else {
                    // The server is down: the client sees its connection closed.
                    continue;
                };
                let s = s.clone();
                std::thread::spawn(move || pipe(client, server, &s));
            }
        });
        Relay { url, shared }
    }

    /// Holds the next request whose bytes contain `marker`.
    pub fn hold(&self, marker: &str) {
        self.shared.released.store(false, Ordering::SeqCst);
        *self.shared.marker.lock().unwrap() = Some(marker.as_bytes().to_vec());
    }

    /// Waits until a request is held, failing after `secs`.
    pub fn wait_held(&self, secs: u64) {
        let deadline = Instant::now() + Duration::from_secs(secs);
        while self.shared.held.load(Ordering::SeqCst) == 0 {
            assert!(Instant::now() < deadline, "no request was held in {secs} s");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Closes the held connection without an answer; later requests pass.
    pub fn release(&self) {
        *self.shared.marker.lock().unwrap() = None;
        self.shared.released.store(true, Ordering::SeqCst);
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

/// Forwards `client` ⇄ `server` until either side closes, holding a marked request.
fn pipe(mut client: TcpStream, mut server: TcpStream, shared: &Shared) {
    let (Ok(mut from_server), Ok(mut to_client)) = (server.try_clone(), client.try_clone()) else {
        return;
    };
    std::thread::spawn(move || {
        let _ = std::io::copy(&mut from_server, &mut to_client);
        let _ = to_client.shutdown(Shutdown::Both);
    });
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match client.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let marked = shared
            .marker
            .lock()
            .unwrap()
            .as_deref()
            .is_some_and(|m| contains(&buf[..n], m));
        if marked {
            shared.held.fetch_add(1, Ordering::SeqCst);
            while !shared.released.load(Ordering::SeqCst) {
                std::thread::sleep(Duration::from_millis(20));
            }
            break;
        }
        if server.write_all(&buf[..n]).is_err() {
            break;
        }
    }
    let _ = client.shutdown(Shutdown::Both);
    let _ = server.shutdown(Shutdown::Both);
}
