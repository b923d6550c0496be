// The floor for the CLI benchmark: what starting a Rust process and printing a line costs.
fn main() {
    println!("hello");
}
