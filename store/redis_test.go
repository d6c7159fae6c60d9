package store_test

import (
	"strings"
	"testing"

	"github.com/telenordigital/connect-web-sample/store"
)

func TestOpenRedisNeverQuotesTheURL(t *testing.T) {
	for _, tc := range []struct{ name, mode, url, want string }{
		{"a bad escape", "standalone", "redis://:hunter2%zz@redis:6379/0", "not a valid URL"},
		{"a scheme go-redis does not know", "standalone", "http://:hunter2@redis:6379/0", "for REDIS_MODE standalone"},
		{"a Cluster URL with a bad escape", "cluster", "redis://:hunter2%zz@node:7000?addr=node2:7001", "not a valid URL"},
		{"a Sentinel URL without the master's name", "sentinel", "redis://:hunter2@sentinel:26379/0?password=hunter2", "missing master_name"},
	} {
		t.Run(tc.name+" is refused without the password", func(t *testing.T) {
			rdb, err := store.OpenRedis(tc.url, tc.mode)
			if err == nil {
				rdb.Close()
				t.Fatalf("OpenRedis(%s) succeeded, want an error", tc.mode)
			}
			if strings.Contains(err.Error(), "hunter2") || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("OpenRedis = %q, want %q and no password", err, tc.want)
			}
			if check := store.CheckRedisURL(tc.url, tc.mode); check == nil || !strings.Contains(err.Error(), check.Error()) {
				t.Errorf("CheckRedisURL = %v, want the error OpenRedis gives", check)
			}
		})
	}
}
