//! A loopback HTTPS server for tests: a fresh CA (rcgen), a rustls server on 127.0.0.1, a
//! scripted reply per request, and a log of what it received. It stops by itself when
//! dropped, and in any case after a bounded number of connections and a deadline.

#![allow(dead_code)]

use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair, SanType};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::{ServerConfig, ServerConnection, StreamOwned};
use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use veto_net::{Net, Tls};

/// What the server does with one request.
#[derive(Clone, Debug)]
pub enum Reply {
    /// A complete response.
    Http {
        status: u16,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    },
    /// Headers announcing `declared` bytes, `sent` of them, then silence for `stall`.
    Stall {
        declared: usize,
        sent: Vec<u8>,
        stall: Duration,
    },
    /// Headers announcing `declared` bytes, `sent` of them, then the connection closes.
    CloseMidBody { declared: usize, sent: Vec<u8> },
}

impl Reply {
    pub fn ok(body: impl Into<Vec<u8>>) -> Reply {
        Reply::Http {
            status: 200,
            headers: vec![],
            body: body.into(),
        }
    }

    pub fn status(status: u16) -> Reply {
        Reply::Http {
            status,
            headers: vec![],
            body: Vec::new(),
        }
    }

    pub fn with_header(self, name: &str, value: &str) -> Reply {
        match self {
            Reply::Http {
                status,
                mut headers,
                body,
            } => {
                headers.push((name.to_string(), value.to_string()));
                Reply::Http {
                    status,
                    headers,
                    body,
                }
            }
            other => other,
        }
    }
}

/// One request as the server saw it.
#[derive(Clone, Debug)]
pub struct Request {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

type Handler = Box<dyn FnMut(&Request) -> Reply + Send>;

struct Shared {
    requests: Mutex<Vec<Request>>,
    handler: Mutex<Handler>,
    /// Close every TCP connection right after accepting it, before TLS.
    reset: AtomicBool,
    stop: AtomicBool,
}

pub struct TestServer {
    pub port: u16,
    pub ca_der: Vec<u8>,
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

const MAX_CONNECTIONS: usize = 200;
const DEADLINE: Duration = Duration::from_secs(60);

impl TestServer {
    pub fn start(handler: impl FnMut(&Request) -> Reply + Send + 'static) -> TestServer {
        let (ca_der, config) = tls_config();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let shared = Arc::new(Shared {
            requests: Mutex::new(Vec::new()),
            handler: Mutex::new(Box::new(handler)),
            reset: AtomicBool::new(false),
            stop: AtomicBool::new(false),
        });
        let thread_shared = shared.clone();
        let thread = std::thread::spawn(move || serve(listener, config, thread_shared));
        TestServer {
            port,
            ca_der,
            shared,
            thread: Some(thread),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("https://127.0.0.1:{}{path}", self.port)
    }

    pub fn requests(&self) -> Vec<Request> {
        self.shared.requests.lock().unwrap().clone()
    }

    pub fn set_handler(&self, handler: impl FnMut(&Request) -> Reply + Send + 'static) {
        *self.shared.handler.lock().unwrap() = Box::new(handler);
    }

    pub fn set_reset(&self, reset: bool) {
        self.shared.reset.store(reset, Ordering::SeqCst);
    }

    /// Transport settings that trust only this server's CA, with short timeouts.
    pub fn net(&self) -> Net {
        Net {
            tls: Tls::Roots(vec![self.ca_der.clone()]),
            connect_timeout: Duration::from_secs(2),
            timeout: Duration::from_millis(1500),
            max_body: veto_net::http::DEFAULT_MAX_BODY,
            proxy: None,
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn tls_config() -> (Vec<u8>, Arc<ServerConfig>) {
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca_key = KeyPair::generate().unwrap();
    let ca = ca_params.self_signed(&ca_key).unwrap();

    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.subject_alt_names = vec![
        SanType::IpAddress(IpAddr::V4(Ipv4Addr::LOCALHOST)),
        SanType::DnsName("localhost".try_into().unwrap()),
    ];
    let key = KeyPair::generate().unwrap();
    let cert = params.signed_by(&key, &ca, &ca_key).unwrap();

    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![CertificateDer::from(cert.der().to_vec())],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
        )
        .unwrap();
    (ca.der().to_vec(), Arc::new(config))
}

fn serve(listener: TcpListener, config: Arc<ServerConfig>, shared: Arc<Shared>) {
    let started = Instant::now();
    let mut served = 0;
    while !shared.stop.load(Ordering::SeqCst)
        && started.elapsed() < DEADLINE
        && served < MAX_CONNECTIONS
    {
        match listener.accept() {
            Ok((tcp, _)) => {
                served += 1;
                if shared.reset.load(Ordering::SeqCst) {
                    drop(tcp);
                    continue;
                }
                let _ = handle(tcp, config.clone(), &shared);
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                std::thread::sleep(Duration::from_millis(5));
            }
            Err(_) => break,
        }
    }
}

fn handle(tcp: TcpStream, config: Arc<ServerConfig>, shared: &Shared) -> std::io::Result<()> {
    tcp.set_nonblocking(false)?;
    tcp.set_read_timeout(Some(Duration::from_secs(3)))?;
    tcp.set_write_timeout(Some(Duration::from_secs(3)))?;
    let conn = ServerConnection::new(config).map_err(std::io::Error::other)?;
    let mut tls = StreamOwned::new(conn, tcp);
    let request = read_request(&mut tls)?;
    shared.requests.lock().unwrap().push(request.clone());
    let reply = (shared.handler.lock().unwrap())(&request);
    match reply {
        Reply::Http {
            status,
            headers,
            body,
        } => {
            let mut head = format!(
                "HTTP/1.1 {status} {}\r\nContent-Length: {}\r\nConnection: close\r\n",
                reason(status),
                body.len()
            );
            for (n, v) in headers {
                head.push_str(&format!("{n}: {v}\r\n"));
            }
            head.push_str("\r\n");
            tls.write_all(head.as_bytes())?;
            tls.write_all(&body)?;
            tls.conn.send_close_notify();
            tls.flush()?;
        }
        Reply::Stall {
            declared,
            sent,
            stall,
        } => {
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Length: {declared}\r\nConnection: close\r\n\r\n"
            );
            tls.write_all(head.as_bytes())?;
            tls.write_all(&sent)?;
            tls.flush()?;
            let until = Instant::now() + stall;
            while Instant::now() < until && !shared.stop.load(Ordering::SeqCst) {
                std::thread::sleep(Duration::from_millis(10));
            }
        }
        Reply::CloseMidBody { declared, sent } => {
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Length: {declared}\r\nConnection: close\r\n\r\n"
            );
            tls.write_all(head.as_bytes())?;
            tls.write_all(&sent)?;
            tls.flush()?;
            tls.sock.shutdown(std::net::Shutdown::Both)?;
        }
    }
    Ok(())
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        202 => "Accepted",
        302 => "Found",
        304 => "Not Modified",
        401 => "Unauthorized",
        404 => "Not Found",
        500 => "Internal Server Error",
        _ => "Status",
    }
}

fn read_request(stream: &mut impl Read) -> std::io::Result<Request> {
    let mut buf = Vec::new();
    let mut byte = [0u8; 1];
    while !buf.ends_with(b"\r\n\r\n") {
        if buf.len() > 64 * 1024 || stream.read(&mut byte)? == 0 {
            return Err(std::io::Error::other("bad request head"));
        }
        buf.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&buf).to_string();
    let mut lines = head.split("\r\n");
    let mut first = lines.next().unwrap_or("").split(' ');
    let method = first.next().unwrap_or("").to_string();
    let path = first.next().unwrap_or("").to_string();
    let headers: Vec<(String, String)> = lines
        .filter(|l| !l.is_empty())
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_string(), v.trim().to_string()))
        .collect();
    let length = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse::<usize>().ok())
        .unwrap_or(0);
    let mut body = vec![0u8; length.min(4 * 1024 * 1024)];
    stream.read_exact(&mut body)?;
    Ok(Request {
        method,
        path,
        headers,
        body,
    })
}
