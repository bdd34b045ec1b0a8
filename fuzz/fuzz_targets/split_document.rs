#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    partnerkb_fuzz::checks::split_document(data);
});
