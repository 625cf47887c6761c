//! Baseline for `make bench-host`: an axum handler that reads the body and answers 200 without
//! touching a store: the HTTP ceiling of this machine. Prints `inlet: listening on http://ADDR`.

use axum::body::Bytes;
use axum::routing::post;
use axum::Router;

#[tokio::main]
async fn main() {
    let app = Router::new().route(
        "/hooks/{id}",
        post(|_b: Bytes| async { ([("content-type", "application/json")], "{\"ok\":true}") }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    println!(
        "inlet: listening on http://{}",
        listener.local_addr().unwrap()
    );
    axum::serve(listener, app).await.unwrap();
}
