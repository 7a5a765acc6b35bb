package sandbox

import (
	"github.com/vigil-sre/vigil/internal/sandbox/service"
)

// newServices builds every service the sandbox serves. One line per
// service; keep it sorted.
func newServices(env service.Env) []service.Service {
	return []service.Service{}
}
