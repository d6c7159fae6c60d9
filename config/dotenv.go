package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
)

// readEnvFile reads the KEY=VALUE lines of a .env file. A missing file is
// not an error: the file is a convenience for `go run`, and in a container
// the same settings arrive in the environment instead.
//
// The syntax is the simple subset that docker compose's env_file also
// understands, so one .env works both ways: blank lines and # comments,
// an optional "export " prefix, values optionally in single or double
// quotes (taken literally), and " #" starting a comment after an unquoted
// value.
func readEnvFile(path string) (map[string]string, error) {
	values := make(map[string]string)
	if path == "" {
		return values, nil
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return values, nil
	}
	if err != nil {
		return nil, fmt.Errorf("config: read %s: %w", path, err)
	}
	for i, line := range strings.Split(string(data), "\n") {
		key, value, err := parseEnvLine(line)
		if err != nil {
			// The line itself is not shown: it may hold a secret.
			return nil, fmt.Errorf("config: %s line %d: %w", path, i+1, err)
		}
		if key != "" {
			values[key] = value
		}
	}
	return values, nil
}

// parseEnvLine returns the key and value of one line, or an empty key for
// a blank line or a comment.
func parseEnvLine(line string) (key, value string, err error) {
	line = strings.TrimSpace(line)
	if line == "" || strings.HasPrefix(line, "#") {
		return "", "", nil
	}
	line = strings.TrimPrefix(line, "export ")
	key, value, ok := strings.Cut(line, "=")
	key = strings.TrimSpace(key)
	if !ok || !isEnvName(key) {
		return "", "", errors.New("want KEY=VALUE")
	}
	value = strings.TrimSpace(value)

	if value != "" && (value[0] == '"' || value[0] == '\'') {
		quote := value[0]
		end := strings.IndexByte(value[1:], quote)
		if end < 0 {
			return "", "", fmt.Errorf("%s: missing closing %c", key, quote)
		}
		rest := strings.TrimSpace(value[end+2:])
		if rest != "" && !strings.HasPrefix(rest, "#") {
			return "", "", fmt.Errorf("%s: text after the closing %c", key, quote)
		}
		return key, value[1 : end+1], nil
	}

	for i := 1; i < len(value); i++ {
		if value[i] == '#' && (value[i-1] == ' ' || value[i-1] == '\t') {
			value = strings.TrimSpace(value[:i])
			break
		}
	}
	return key, value, nil
}

// isEnvName reports whether s is a shell-style variable name.
func isEnvName(s string) bool {
	if s == "" || (s[0] >= '0' && s[0] <= '9') {
		return false
	}
	for _, r := range s {
		if !(r == '_' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}
