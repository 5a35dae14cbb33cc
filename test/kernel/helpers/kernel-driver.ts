// The ZMQ driver lives in bench/ (compiled with the project so the benchmark runs from dist/).
export * from "../../../bench/kernel-driver.js";
