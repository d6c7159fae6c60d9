// Package templates holds the site's html/template files, embedded in the
// binary: layout.html wraps every page, partials/ are shared pieces, and
// pages/ has one file per page.
package templates

import "embed"

// FS is the template files.
//
//go:embed layout.html partials/*.html pages/*.html
var FS embed.FS
