//! Syslog listeners: UDP (one message a datagram) and TCP (octet-counting or newline framing, RFC 6587). Lines go
//! to the collector's batch writer through a bounded queue: a TCP connection waits when the queue is full (its
//! sender sees the window close), a UDP datagram that finds it full is dropped and counted.

use std::net::SocketAddr;
use std::sync::Arc;

use canhgac_logs::collect::framing::FrameDecoder;
use canhgac_store::now_ms;
use tokio::io::AsyncReadExt;
use tokio::net::{TcpListener, UdpSocket};
use tokio::sync::mpsc;

use crate::collector::{Collector, SyslogLine};
use crate::normalize::MAX_LINE;

/// Receives datagrams on `socket` until the queue's writer is gone.
pub async fn run_udp(socket: UdpSocket, tx: mpsc::Sender<SyslogLine>, collector: Arc<Collector>) {
    let mut buf = vec![0u8; 65_536];
    loop {
        let (n, peer) = match socket.recv_from(&mut buf).await {
            Ok(x) => x,
            Err(e) => {
                tracing::warn!(error = %e, "syslog UDP receive failed");
                continue;
            }
        };
        let line = String::from_utf8_lossy(&buf[..n])
            .trim_end_matches(['\n', '\r', '\0'])
            .to_string();
        let item = SyslogLine {
            peer: peer.ip(),
            line,
            received_at: now_ms(),
        };
        match tx.try_send(item) {
            Ok(()) => {}
            Err(mpsc::error::TrySendError::Full(item)) => {
                let label = collector
                    .syslog_source_for(item.peer)
                    .map_or_else(|| "syslog:unknown".to_string(), |s| format!("syslog:{}", s.id));
                collector.metrics.add(&label, |c| {
                    c.received += 1;
                    c.dropped += 1;
                });
            }
            Err(mpsc::error::TrySendError::Closed(_)) => return,
        }
    }
}

/// Accepts TCP connections on `listener`, one task each.
pub async fn run_tcp(listener: TcpListener, tx: mpsc::Sender<SyslogLine>, collector: Arc<Collector>) {
    loop {
        match listener.accept().await {
            Ok((stream, peer)) => {
                tokio::spawn(read_stream(stream, peer, tx.clone(), collector.clone()));
            }
            Err(e) => {
                tracing::warn!(error = %e, "syslog TCP accept failed");
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
        }
    }
}

/// Accepts TLS connections (RFC 5425) on `listener`; the handshake and the stream run in one task each.
pub async fn run_tls(
    listener: TcpListener,
    acceptor: tokio_rustls::TlsAcceptor,
    tx: mpsc::Sender<SyslogLine>,
    collector: Arc<Collector>,
) {
    loop {
        match listener.accept().await {
            Ok((stream, peer)) => {
                let (acceptor, tx, collector) = (acceptor.clone(), tx.clone(), collector.clone());
                tokio::spawn(async move {
                    let handshake =
                        tokio::time::timeout(std::time::Duration::from_secs(10), acceptor.accept(stream));
                    match handshake.await {
                        Ok(Ok(tls)) => read_stream(tls, peer, tx, collector).await,
                        Ok(Err(e)) => tracing::debug!(%peer, error = %e, "syslog TLS handshake failed"),
                        Err(_) => tracing::debug!(%peer, "syslog TLS handshake timed out"),
                    }
                });
            }
            Err(e) => {
                tracing::warn!(error = %e, "syslog TLS accept failed");
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
        }
    }
}

/// Reads one syslog stream (plain TCP, or TLS once the handshake is done) to its end.
pub async fn read_stream<S: tokio::io::AsyncRead + Unpin>(
    mut stream: S,
    peer: SocketAddr,
    tx: mpsc::Sender<SyslogLine>,
    collector: Arc<Collector>,
) {
    let mut decoder = FrameDecoder::new(MAX_LINE);
    let mut buf = vec![0u8; 64 * 1024];
    let mut eof = false;
    while !eof {
        let n = match stream.read(&mut buf).await {
            Ok(0) => {
                eof = true;
                0
            }
            Ok(n) => n,
            Err(e) => {
                tracing::debug!(%peer, error = %e, "syslog stream ended with an error");
                eof = true;
                0
            }
        };
        decoder.push(&buf[..n]);
        let now = now_ms();
        let mut frames = Vec::new();
        while let Some(frame) = decoder.next_frame() {
            frames.push(frame);
        }
        if eof {
            if let Some(last) = decoder.finish() {
                frames.push(last);
            }
        }
        for frame in frames {
            match frame {
                Ok(f) => {
                    let line = String::from_utf8_lossy(&f.data).into_owned();
                    if line.trim().is_empty() {
                        continue;
                    }
                    let item = SyslogLine {
                        peer: peer.ip(),
                        line,
                        received_at: now,
                    };
                    // Waits while the queue is full: the connection stops being read, TCP pushes back.
                    if tx.send(item).await.is_err() {
                        return;
                    }
                }
                Err(e) => {
                    let label = collector
                        .syslog_source_for(peer.ip())
                        .map_or_else(|| "syslog:unknown".to_string(), |s| format!("syslog:{}", s.id));
                    tracing::debug!(%peer, error = %e, "syslog frame refused");
                    collector.metrics.add(&label, |c| {
                        c.received += 1;
                        c.parse_errors += 1;
                    });
                }
            }
        }
    }
}
