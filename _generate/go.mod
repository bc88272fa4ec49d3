module github.com/hardneg/hardneg/_generate

go 1.26.0

require github.com/mmcloughlin/avo v0.6.0

require (
	github.com/x448/float16 v0.8.4 // indirect
	golang.org/x/sys v0.50.0 // indirect
)

require (
	github.com/hardneg/hardneg v0.0.0
	golang.org/x/mod v0.42.0 // indirect
	golang.org/x/sync v0.25.0 // indirect
	golang.org/x/tools v0.52.0 // indirect
)

replace github.com/hardneg/hardneg => ../
