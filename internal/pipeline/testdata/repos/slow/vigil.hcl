# One stack whose apply takes as long as a test needs: the kill -9 test.
project = "slow"
layers  = ["slow"]

environment "dev" {
  target = "sandbox"
}
