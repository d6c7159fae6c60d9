package main

import (
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"

	"github.com/telenordigital/connect-web-sample/config"
)

// loadCompose loads docker-compose.yml the way `docker compose` does, from a
// copy in a fresh directory holding envFile as .env (none when ""), so a
// developer's own .env or environment cannot change the outcome.
func loadCompose(t *testing.T, envFile string) *types.Project {
	t.Helper()
	compose, err := os.ReadFile("docker-compose.yml")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "docker-compose.yml"), compose, 0o644); err != nil {
		t.Fatal(err)
	}
	if envFile != "" {
		if err := os.WriteFile(filepath.Join(dir, ".env"), []byte(envFile), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	options, err := cli.NewProjectOptions(
		[]string{filepath.Join(dir, "docker-compose.yml")},
		cli.WithWorkingDirectory(dir),
		cli.WithEnvFiles(),
		cli.WithDotEnv,
	)
	if err != nil {
		t.Fatal(err)
	}
	project, err := options.LoadProject(t.Context())
	if err != nil {
		t.Fatalf("load docker-compose.yml: %v", err)
	}
	return project
}

// service returns the named service or stops the test.
func service(t *testing.T, p *types.Project, name string) types.ServiceConfig {
	t.Helper()
	s, err := p.GetService(name)
	if err != nil {
		t.Fatalf("docker-compose.yml: %v", err)
	}
	return s
}

// environment returns the service's resolved environment as lookupEnv.
func environment(s types.ServiceConfig) func(string) (string, bool) {
	return func(name string) (string, bool) {
		v, ok := s.Environment[name]
		if !ok || v == nil {
			return "", false
		}
		return *v, true
	}
}

func TestDockerComposeRunsTheAppWithRedis(t *testing.T) {
	p := loadCompose(t, "")
	app, redis := service(t, p, "app"), service(t, p, "redis")

	t.Run("redis is redis:7 with a healthcheck", func(t *testing.T) {
		if redis.Image != "redis:7" {
			t.Errorf("redis image = %q, want %q", redis.Image, "redis:7")
		}
		if hc := redis.HealthCheck; hc == nil || !slices.Equal(hc.Test, []string{"CMD", "redis-cli", "ping"}) {
			t.Errorf("redis healthcheck = %+v, want test [CMD redis-cli ping]", hc)
		}
	})

	t.Run("the app is built from the Dockerfile", func(t *testing.T) {
		if app.Build == nil || app.Build.Context == "" {
			t.Errorf("app build = %+v, want a build context", app.Build)
		}
	})

	t.Run("the app publishes 8081 and 8082 on the same host ports", func(t *testing.T) {
		for _, want := range []uint32{8081, 8082} {
			if !publishes(app, want) {
				t.Errorf("app ports = %+v, want 127.0.0.1:%d:%d", app.Ports, want, want)
			}
		}
	})

	t.Run("every port is published on this machine's loopback only", func(t *testing.T) {
		checkLoopbackOnly(t, app)
	})

	t.Run("the app waits for a healthy Redis", func(t *testing.T) {
		dep, ok := app.DependsOn["redis"]
		if !ok || dep.Condition != types.ServiceConditionHealthy {
			t.Errorf("app depends_on redis = %+v (present %v), want condition %s", dep, ok, types.ServiceConditionHealthy)
		}
	})

	t.Run("the app's healthcheck runs the binary's healthcheck subcommand", func(t *testing.T) {
		want := []string{"CMD", "/connect-sample", "healthcheck"}
		if hc := app.HealthCheck; hc == nil || !slices.Equal(hc.Test, want) {
			t.Errorf("app healthcheck = %+v, want test %q", hc, want)
		}
	})

	t.Run("the app restarts unless stopped", func(t *testing.T) {
		if app.Restart != types.RestartPolicyUnlessStopped {
			t.Errorf("app restart = %q, want %q", app.Restart, types.RestartPolicyUnlessStopped)
		}
	})

	t.Run("the app's environment uses only settings the app reads", func(t *testing.T) {
		checkVariableNames(t, app)
	})

	t.Run("the app uses compose's Redis and the default URLs", func(t *testing.T) {
		want := map[string]string{
			"REDIS_URL":            "redis://redis:6379/0",
			"LOCAL_CONNECT_URL":    "http://localhost:8082",
			"LOCAL_CONNECT_LISTEN": ":8082",
			"APP_BASE_URL":         "http://localhost:8081",
			"APP_LISTEN":           ":8081",
		}
		lookup := environment(app)
		for name, value := range want {
			if got, _ := lookup(name); got != value {
				t.Errorf("app %s = %q, want %q", name, got, value)
			}
		}
	})

	t.Run("the app's environment is a valid configuration", func(t *testing.T) {
		c, err := config.Load(environment(app), "")
		if err != nil {
			t.Fatalf("config.Load with the app's environment: %v", err)
		}
		checkPortsMatchConfig(t, app, c)
	})

	t.Run("the .env file is optional and read when present", func(t *testing.T) {
		if len(app.EnvFiles) != 1 || app.EnvFiles[0].Required {
			t.Errorf("app env_file = %+v, want one optional .env", app.EnvFiles)
		}
	})
}

func TestDockerComposePassesTheEnvFileToTheApp(t *testing.T) {
	p := loadCompose(t, `CONNECT_ISSUER=https://connect.staging.telenordigital.com/oauth
CONNECT_CLIENT_ID=partner-web
APP_BASE_URL=https://sample.example.com
REDIS_URL=redis://127.0.0.1:6379/0
`)
	app := service(t, p, "app")
	want := map[string]string{
		"CONNECT_ISSUER":    "https://connect.staging.telenordigital.com/oauth",
		"CONNECT_CLIENT_ID": "partner-web",
		// Read from .env through ${APP_BASE_URL:-...}: a deployment's public
		// URL must not be overridden by the compose file's default.
		"APP_BASE_URL": "https://sample.example.com",
		// compose's own Redis wins over the one .env names for `go run`.
		"REDIS_URL": "redis://redis:6379/0",
	}
	lookup := environment(app)
	for name, value := range want {
		if got, _ := lookup(name); got != value {
			t.Errorf("app %s = %q, want %q", name, got, value)
		}
	}
	checkVariableNames(t, app)
	if _, err := config.Load(lookup, ""); err != nil {
		t.Errorf("config.Load with the app's environment: %v", err)
	}
}

func TestDockerComposeTakesItsPortsFromTheEnvFile(t *testing.T) {
	t.Run("APP_PORT and LOCAL_CONNECT_PORT move the app and the stand-in", func(t *testing.T) {
		app := service(t, loadCompose(t, "APP_PORT=18081\nLOCAL_CONNECT_PORT=18082\n"), "app")
		for _, want := range []uint32{18081, 18082} {
			if !publishes(app, want) {
				t.Errorf("app ports = %+v, want 127.0.0.1:%d:%d", app.Ports, want, want)
			}
		}
		checkLoopbackOnly(t, app)
		checkVariableNames(t, app)
		c, err := config.Load(environment(app), "")
		if err != nil {
			t.Fatalf("config.Load with the app's environment: %v", err)
		}
		checks := []struct{ name, got, want string }{
			{"APP_LISTEN", c.Listen, ":18081"},
			{"APP_BASE_URL", c.BaseURL.String(), "http://localhost:18081"},
			{"LOCAL_CONNECT_URL", c.LocalConnectURL.String(), "http://localhost:18082"},
			{"LOCAL_CONNECT_LISTEN", c.LocalConnectListen, ":18082"},
		}
		for _, check := range checks {
			if check.got != check.want {
				t.Errorf("app %s = %q, want %q", check.name, check.got, check.want)
			}
		}
		checkPortsMatchConfig(t, app, c)
		for _, w := range c.Warnings() {
			if w.Key == "warning.port_mismatch" {
				t.Errorf("compose's own settings warn %q", w)
			}
		}
	})

	t.Run("the app's own settings in .env win over compose's defaults", func(t *testing.T) {
		// Set for `go run`, and honoured under compose too: nothing under
		// environment: may quietly replace what the user wrote in .env.
		app := service(t, loadCompose(t, `APP_LISTEN=:9001
APP_BASE_URL=http://localhost:9001
LOCAL_CONNECT_URL=http://localhost:9002
LOCAL_CONNECT_LISTEN=:9002
`), "app")
		want := map[string]string{
			"APP_LISTEN":           ":9001",
			"APP_BASE_URL":         "http://localhost:9001",
			"LOCAL_CONNECT_URL":    "http://localhost:9002",
			"LOCAL_CONNECT_LISTEN": ":9002",
		}
		lookup := environment(app)
		for name, value := range want {
			if got, _ := lookup(name); got != value {
				t.Errorf("app %s = %q, want .env's %q", name, got, value)
			}
		}
	})
}

// publishes reports whether s publishes container port port on the same
// host port of this machine's loopback.
func publishes(s types.ServiceConfig, port uint32) bool {
	for _, p := range s.Ports {
		if p.Target == port && p.Published == strconv.FormatUint(uint64(port), 10) && p.HostIP == "127.0.0.1" {
			return true
		}
	}
	return false
}

// checkLoopbackOnly fails for a port s publishes beyond this machine: the
// stand-in lets anyone who reaches it log in as its test users, and the app
// runs as a development setup (plain http, the stand-in) under compose.
func checkLoopbackOnly(t *testing.T, s types.ServiceConfig) {
	t.Helper()
	if len(s.Ports) == 0 {
		t.Errorf("%s publishes no ports", s.Name)
	}
	for _, p := range s.Ports {
		if p.HostIP != "127.0.0.1" {
			t.Errorf("%s port %d published on %q, want 127.0.0.1", s.Name, p.Target, p.HostIP)
		}
	}
}

// composeVariables are read by docker-compose.yml itself, not by the app;
// from .env they also reach the container, where the app ignores them.
var composeVariables = []string{"APP_PORT", "LOCAL_CONNECT_PORT"}

// checkVariableNames fails for any variable in the service's environment
// that config.Load does not read: a typo there would be silently ignored.
func checkVariableNames(t *testing.T, s types.ServiceConfig) {
	t.Helper()
	known := slices.Clone(composeVariables)
	for _, v := range config.Variables() {
		known = append(known, v.Name)
	}
	for name := range s.Environment {
		if !slices.Contains(known, name) {
			t.Errorf("%s environment sets %s, which is not one of config.Variables()", s.Name, name)
		}
	}
}

// checkPortsMatchConfig fails when the browser could not reach the app or
// the stand-in. APP_BASE_URL's port must lead to the port the app listens
// on. The stand-in is reached at LOCAL_CONNECT_URL both by the browser (via
// the published port) and by the app inside the container, so its port
// must be published to the same port.
func checkPortsMatchConfig(t *testing.T, s types.ServiceConfig, c *config.Config) {
	t.Helper()
	_, listenPort, err := net.SplitHostPort(c.Listen)
	if err != nil {
		t.Fatal(err)
	}
	basePort := c.BaseURL.Port()
	found := false
	for _, p := range s.Ports {
		if p.Published == basePort && strconv.FormatUint(uint64(p.Target), 10) == listenPort {
			found = true
		}
	}
	if !found {
		t.Errorf("ports %+v do not publish APP_BASE_URL's port %s to APP_LISTEN's port %s", s.Ports, basePort, listenPort)
	}
	standInPort, err := strconv.ParseUint(c.LocalConnectURL.Port(), 10, 16)
	if err != nil {
		t.Fatal(err)
	}
	if !publishes(s, uint32(standInPort)) {
		t.Errorf("ports %+v do not publish LOCAL_CONNECT_URL's port %d to the same port", s.Ports, standInPort)
	}
}

// dockerfileInstructions returns the Dockerfile's instructions, one string
// per instruction with continuation lines joined and comments dropped.
func dockerfileInstructions(t *testing.T) []string {
	t.Helper()
	data, err := os.ReadFile("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	var instructions []string
	var current strings.Builder
	for _, line := range strings.Split(string(data), "\n") {
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "#") || (trimmed == "" && current.Len() == 0) {
			continue
		}
		if cont, ok := strings.CutSuffix(trimmed, "\\"); ok {
			current.WriteString(strings.TrimSpace(cont) + " ")
			continue
		}
		current.WriteString(trimmed)
		if s := strings.TrimSpace(current.String()); s != "" {
			instructions = append(instructions, s)
		}
		current.Reset()
	}
	return instructions
}

// ciBuildFlags returns the go build flags .ci/run defines, as written.
func ciBuildFlags(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile(".ci/run")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^go_build_flags=\((.+)\)$`).FindSubmatch(data)
	if m == nil {
		t.Fatal(".ci/run defines no go_build_flags=(...)")
	}
	if !strings.Contains(string(data), `CGO_ENABLED=0 go build "${go_build_flags[@]}"`) {
		t.Error(`.ci/run does not build with CGO_ENABLED=0 go build "${go_build_flags[@]}"`)
	}
	return string(m[1])
}

func TestDockerfile(t *testing.T) {
	instructions := dockerfileInstructions(t)
	var stages [][]string
	for _, in := range instructions {
		if strings.HasPrefix(in, "FROM ") {
			stages = append(stages, nil)
		}
		if len(stages) == 0 {
			t.Fatalf("Dockerfile: %q before the first FROM", in)
		}
		stages[len(stages)-1] = append(stages[len(stages)-1], in)
	}
	if len(stages) < 2 {
		t.Fatalf("Dockerfile has %d stages, want a build stage and a run stage", len(stages))
	}
	build, final := stages[0], stages[len(stages)-1]

	t.Run("it builds with the same flags as CI", func(t *testing.T) {
		want := "CGO_ENABLED=0 go build " + ciBuildFlags(t) + " -o /out/connect-sample ."
		found := false
		for _, in := range build {
			if strings.HasPrefix(in, "RUN ") && strings.HasSuffix(in, want) {
				found = true
			}
		}
		if !found {
			t.Errorf("build stage %q has no RUN ending in %q", build, want)
		}
	})

	t.Run("it downloads modules in a layer of their own", func(t *testing.T) {
		i := slices.Index(build, "COPY go.mod go.sum ./")
		j := slices.Index(build, "RUN go mod download")
		k := slices.Index(build, "COPY . .")
		if i < 0 || j != i+1 || k < j {
			t.Errorf("build stage %q, want COPY go.mod go.sum, RUN go mod download, then COPY . .", build)
		}
	})

	wantFinal := []string{
		"FROM gcr.io/distroless/static-debian12:nonroot",
		"COPY --from=build /out/connect-sample /connect-sample",
		"USER nonroot:nonroot",
		"EXPOSE 8081 8082",
		`ENTRYPOINT ["/connect-sample"]`,
	}
	for _, want := range wantFinal {
		t.Run("the final stage has "+want, func(t *testing.T) {
			if !slices.Contains(final, want) {
				t.Errorf("final stage %q lacks %q", final, want)
			}
		})
	}
	t.Run("the final stage leaves APP_LISTEN to the app, so a platform's PORT counts", func(t *testing.T) {
		for _, in := range final {
			if strings.HasPrefix(in, "ENV ") && strings.Contains(in, "APP_LISTEN") {
				t.Errorf("final stage has %q: with APP_LISTEN set the app ignores PORT, and its default :8081 already listens on every interface", in)
			}
		}
	})
	t.Run("the final stage checks its health with the binary", func(t *testing.T) {
		found := false
		for _, in := range final {
			if strings.HasPrefix(in, "HEALTHCHECK ") && strings.HasSuffix(in, `CMD ["/connect-sample","healthcheck"]`) {
				found = true
			}
		}
		if !found {
			t.Errorf("final stage %q has no HEALTHCHECK ... CMD [\"/connect-sample\",\"healthcheck\"]", final)
		}
	})
}
