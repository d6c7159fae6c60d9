package connectweb

import (
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/telenordigital/connect-web-sample/connect"
	"github.com/telenordigital/connect-web-sample/store"
)

// TestNewRefusesTwoFloors: the logins' level of assurance and the
// sessions' must be one setting, or sessions from before a raised floor
// would live on.
func TestNewRefusesTwoFloors(t *testing.T) {
	secrets, err := store.NewSecrets([]byte(strings.Repeat("0123456789abcdefghijklmnopqrstuvwxyz", 2)), nil)
	if err != nil {
		t.Fatal(err)
	}
	sessions, err := store.NewSessions(store.SessionOptions{
		Redis: redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"}), Secrets: secrets,
		IdleTimeout: time.Minute, Lifetime: time.Hour, ACRFloor: "2",
	})
	if err != nil {
		t.Fatal(err)
	}
	opts := Options{Connect: &connect.Client{}, Sessions: sessions, Logins: &store.LoginTransactions{}}
	if _, err := New(opts); err == nil || !strings.Contains(err.Error(), "ACRFloor") {
		t.Errorf("New with ACRValues \"\" and ACRFloor \"2\" = %v, want an error naming ACRFloor", err)
	}
	opts.ACRValues = "2"
	if _, err := New(opts); err != nil {
		t.Errorf("New with one floor: %v", err)
	}
}
