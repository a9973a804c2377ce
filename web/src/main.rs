fn main() {
    pipesim_web::start();
}
