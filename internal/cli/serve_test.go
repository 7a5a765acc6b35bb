package cli

import "testing"

func TestServeFlags(t *testing.T) {
	got, err := parseFlags(t, NewCmdServe, "")
	if err != nil || got.Addr != "" || len(got.Envs) != 0 {
		t.Fatalf("defaults: %+v %v", got, err)
	}
	got, err = parseFlags(t, NewCmdServe, "--addr 0.0.0.0:9000 --env dev --env prod")
	if err != nil || got.Addr != "0.0.0.0:9000" || len(got.Envs) != 2 || got.Envs[1] != "prod" {
		t.Fatalf("%+v %v", got, err)
	}
	if _, err := parseFlags(t, NewCmdServe, "extra"); err == nil {
		t.Fatal("an argument was accepted")
	}
	up, err := parseFlags(t, NewCmdUp, "--addr 127.0.0.1:9001")
	if err != nil || up.Addr != "127.0.0.1:9001" || up.Once {
		t.Fatalf("up: %+v %v", up, err)
	}
}
