// pg-native is not installed (the service uses pg's JavaScript client). TypeORM asks for it at every data source
// start and takes the failed require as "use pg"; under jest a failed require first searches the folder for a
// similar file to suggest, a third of a second per app started. This null is that same answer, at once.
module.exports = null;
